"""Legitimate coordination: a community that is right. A scam ring (2–6 fresh accounts, their profiles and
videos, sometimes a livestream) is reported by a real community within 10–60 minutes, in lockstep across
the scam accounts: hundreds of members (scaled), up to 70 % of them days-old accounts, most reports sharing
one of a few warning texts, many members behind one campus NAT (a few shared networks), some with no
fingerprints at all. A few members also report an innocent look-alike by mistake (not bad faith). These
reports are coordinated and in good faith: the scams must be actioned at least as fast as a naive report
count would, and no member may be flagged or sanctioned. Focus subjects carry cohort ``legit_scam``."""

from __future__ import annotations

from fairflag.sim.platform import DAY, HOUR, Attacker, attack, make_attackers, target_creator
from fairflag.sim.worlds.base import FamilyDef, Lines, begin, window

NAME = "legit_coordination"
DESCRIPTION = "A real community (fresh accounts, shared text, a campus NAT) reports a scam ring in lockstep."
COHORT = "legit_scam"
TEMPLATES = ("SCAM WARNING: this account steals crypto, do not send anything",
             "fake giveaway, several of our members lost money, please remove",
             "this is the same scam ring as the other accounts, report them all",
             "phishing link in bio, steals your login")


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale)
    rng, platform, b = w.rng, w.platform, w.builder
    platform.organic(0.0, w.horizon_s)
    members = w.size(60, 400, 12)
    fresh_share = float(rng.uniform(0.0, 0.7))
    nat_share = float(rng.uniform(0.0, 0.8))
    n_fresh = round(members * fresh_share)
    n_nat = round((members - n_fresh) * nat_share)
    crowd: list[Attacker] = []
    crowd += make_attackers(platform, n_fresh, created_between=(-6 * DAY, -HOUR), fingerprints="organic",
                            label="community-new")
    crowd += make_attackers(platform, n_nat, created_between=(-3 * 365 * DAY, -30 * DAY), fingerprints="shared",
                            devices=max(1, n_nat * 3), networks=int(rng.integers(1, 4)), label="campus")
    crowd += make_attackers(platform, members - n_fresh - n_nat, created_between=(-5 * 365 * DAY, -20 * DAY),
                            fingerprints="organic", label="community")
    crowd = [c if rng.random() > 0.15 else Attacker(c.id, None, None) for c in crowd]  # no fingerprints sent
    duration = float(rng.uniform(10 * 60, HOUR))
    start = window(w, earliest_h=6.0, latest_share=0.6, duration_s=duration)
    n_scammers = int(rng.integers(2, 7))
    focus: list[str] = []
    for _ in range(n_scammers):
        scammer = target_creator(platform, followers=int(rng.lognormal(7.5, 1.0)), age_days=float(rng.uniform(1, 15)))
        profile = platform.new_upload(scammer.created_at or -DAY, creator=scammer, kind="account", violating=True,
                                      reason="scam_fraud", cohort=COHORT)
        focus.append(profile.id)
        for c in rng.uniform(start - 8 * HOUR, start - 10 * 60, int(rng.integers(1, 4))):
            video = platform.new_upload(float(c), creator=scammer, kind="video", violating=True,
                                        reason="scam_fraud", cohort=COHORT, views_factor=float(rng.uniform(1, 8)))
            focus.append(video.id)
        if rng.random() < 0.3:
            live = platform.new_upload(start - float(rng.uniform(60, 1200)), creator=scammer, kind="livestream",
                                       violating=True, reason="scam_fraud", cohort=COHORT, views_factor=3.0)
            live.live_until = live.created_at + float(rng.uniform(1, 3)) * HOUR
            focus.append(live.id)
    scams = [b.subjects[s] for s in focus]
    platform.user_reports(scams, 0.0, w.horizon_s)
    share = float(rng.uniform(0.4, 0.95))
    text = "template" if rng.random() < 0.8 else "varied"
    honest = attack(platform, crowd, focus, start=start, duration=duration, share=share,
                    reasons=("scam_fraud", "scam_fraud", "spam", "impersonation"), text=text, templates=TEMPLATES,
                    abusive=False)
    lookalike = 0
    if rng.random() < 0.5:  # a real giveaway by an established creator, mistaken for one of the scams
        creator = target_creator(platform, followers=int(rng.lognormal(11, 1.0)), verified=True)
        mistaken = platform.new_upload(start - 3 * HOUR, creator=creator, kind="video", violating=False)
        lookalike = attack(platform, crowd, [mistaken.id], start=start, duration=duration,
                           share=float(rng.uniform(0.02, 0.15)), reasons=("scam_fraud",), text="template",
                           templates=TEMPLATES, abusive=False)
    w.note(members=members, fresh_share=fresh_share, nat_share=nat_share, scam_accounts=n_scammers,
           focus_subjects=len(focus), duration_min=duration / 60, share=share, text=text,
           community_reports=honest, lookalike_reports=lookalike, attack_size=members)
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
