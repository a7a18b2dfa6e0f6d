"""Queue floods: thousands of weak reports (one to four per target) on many innocent uploads, from
throwaway accounts (proxies, a device farm, or aged bought accounts), over six to thirty hours, meant to bury
the review queue while real violations (livestreams among them) keep arriving. Some floods use severe
reasons, so naming a severe rule does not lift a report above the real ones. The damage is delay."""

from __future__ import annotations

from fairflag.sim.platform import DAY, HOUR, attack_text, make_attackers
from fairflag.sim.worlds.base import FamilyDef, Lines, begin, choice, window

NAME = "queue_flood"
DESCRIPTION = "Thousands of weak reports on many innocent uploads bury the queue while real violations arrive."
WEAK = ("spam", "other", "fake_engagement")
SEVERE = ("minor_safety", "violence", "self_harm", "hate")


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale)
    rng, platform, b = w.rng, w.platform, w.builder
    platform.organic(0.0, w.horizon_s, livestream_share=float(rng.uniform(0.05, 0.15)))
    n = w.size(100, 2000, 10)
    mode = choice(rng, ("unique", "shared", "organic"))
    created = (-float(rng.uniform(1, 400)) * DAY, -HOUR)
    flooders = make_attackers(platform, n, created_between=created, fingerprints=mode,
                              devices=max(1, n // 20), networks=int(rng.integers(2, 12)), label="flood")
    targets = w.size(200, 2000, 20)
    per_target = float(rng.uniform(1.0, 4.0))
    duration = float(rng.uniform(6, 30)) * HOUR
    duration = min(duration, 0.8 * w.horizon_s)
    start = window(w, earliest_h=2.0, latest_share=0.95, duration_s=duration)
    reasons = SEVERE if rng.random() < 0.35 else WEAK
    k = 0
    for c in sorted(rng.uniform(-2 * DAY, start + duration - HOUR, targets)):
        s = platform.new_upload(float(c), kind="video", violating=False)
        s.attacked = True
        for i in rng.choice(len(flooders), size=min(1 + int(rng.poisson(per_target - 1)), len(flooders)),
                            replace=False):
            f = flooders[int(i)]
            t = max(s.created_at + 60, start) + float(rng.uniform(0, duration))
            b.report(t, f.id, s.id, reasons[int(rng.integers(len(reasons)))], text=attack_text(rng, "varied", ()),
                     fp_net=f.fp_net, fp_dev=f.fp_dev, abusive=True)
            k += 1
    w.note(flooders=n, fingerprints=mode, targets=targets, per_target=per_target, duration_h=duration / HOUR,
           severe=reasons is SEVERE, attack_reports=k, attack_size=k)
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
