"""Bot and proxy swarms: fresh accounts (hours to weeks old) mass-report one to ten innocent subjects of a
creator. The fingerprints are drawn per world: a device farm (few devices on few networks), residential
proxies (one device and network each), or a mix with a share sending no fingerprints; text is canned,
varied or absent; the burst lasts minutes or hours; some bots were aged a few weeks first."""

from __future__ import annotations

import math

from fairflag.sim.platform import DAY, HOUR, Attacker, attack, innocent_targets, make_attackers, target_creator
from fairflag.sim.worlds.base import FamilyDef, Lines, begin, choice, window

NAME = "swarm"
DESCRIPTION = "Fresh bot or proxy accounts mass-report a creator's innocent subjects."
REASONS = ("spam", "sexual_content", "violence", "hate", "scam_fraud", "impersonation")
TEMPLATES = ("spam", "fake account", "this is a scam", "offensive content remove now")


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale)
    rng, platform = w.rng, w.platform
    platform.organic(0.0, w.horizon_s)
    n = w.size(40, 1000, 10)
    oldest_days = float(rng.choice([1.0, 7.0, 40.0]))
    mode = choice(rng, ("shared", "unique", "mixed"))
    created = (-oldest_days * DAY, -HOUR)
    if mode == "shared":
        bots = make_attackers(platform, n, created_between=created, fingerprints="shared",
                              devices=max(1, round(n / float(rng.uniform(3, 30)))), networks=int(rng.integers(1, 8)),
                              label="farm")
    elif mode == "unique":
        bots = make_attackers(platform, n, created_between=created, fingerprints="unique", label="proxy")
    else:
        half = n // 2
        bots = (make_attackers(platform, half, created_between=created, fingerprints="unique", label="proxy")
                + make_attackers(platform, n - half, created_between=created, fingerprints="shared",
                                 devices=max(1, half // 5), networks=3, label="farm"))
    bare = float(rng.uniform(0.0, 0.5))
    bots = [a if rng.random() >= bare else Attacker(a.id, None, None) for a in bots]
    creator = target_creator(platform, followers=int(rng.lognormal(9.0, 2.0)), age_days=float(rng.uniform(30, 2000)))
    kind = "livestream" if rng.random() < 0.1 else "video"
    duration = float(math.exp(rng.uniform(math.log(5 * 60), math.log(6 * HOUR))))
    start = window(w, earliest_h=3.0, latest_share=0.7, duration_s=duration)
    targets = innocent_targets(platform, creator, int(rng.integers(1, 11)), created_between=(-3 * DAY, start - 600),
                               kind=kind, views_factor=float(rng.uniform(0.5, 10)))
    if kind == "livestream":
        for s in targets:
            s.created_at = start - float(rng.uniform(60, 1800))
            s.live_until = s.created_at + 3 * HOUR
    platform.user_reports(targets, 0.0, w.horizon_s)
    share = float(rng.uniform(0.3, 1.0))
    text = choice(rng, ("template", "varied", "none"))
    k = attack(platform, bots, [s.id for s in targets], start=start, duration=duration, share=share,
               reasons=REASONS[: int(rng.integers(1, len(REASONS) + 1))], text=text, templates=TEMPLATES)
    w.note(bots=n, oldest_days=oldest_days, fingerprints=mode, bare_share=bare, targets=len(targets), kind=kind,
           duration_min=duration / 60, share=share, text=text, attack_reports=k, attack_size=n)
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
