"""Retaliation: a creator posts a real harassment video about another creator (the victim), who reports it
along with honest viewers; within minutes to hours, the harasser's friends (aged real accounts, ordinary
fingerprints, sometimes shared text) mass-report the victim's videos and profile. The harassment video is
the focus violation (cohort ``focus``): it must be actioned as fast as a report count would, while the
victim's subjects must not be restricted."""

from __future__ import annotations

import math

from fairflag.sim.platform import DAY, HOUR, attack, innocent_targets, make_attackers, target_creator
from fairflag.sim.worlds.base import FamilyDef, Lines, begin, choice, window

NAME = "retaliation"
DESCRIPTION = "Friends of a harasser mass-report the victim who reported the harassment."
COHORT = "focus"
TEMPLATES = ("this creator harasses people and lies about others", "fake account pretending to be someone",
             "bully, look at their other videos")


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale)
    rng, platform, b = w.rng, w.platform, w.builder
    platform.organic(0.0, w.horizon_s)
    victim = target_creator(platform, followers=int(rng.lognormal(10.0, 1.5)), age_days=float(rng.uniform(100, 2500)))
    harasser = target_creator(platform, followers=int(rng.lognormal(10.0, 1.0)), age_days=float(rng.uniform(60, 2000)))
    posted = window(w, earliest_h=3.0, latest_share=0.6, duration_s=HOUR)
    focus = []
    for _ in range(int(rng.integers(1, 3))):
        video = platform.new_upload(posted + float(rng.uniform(0, 1800)), creator=harasser, kind="video",
                                    violating=True, reason="harassment", cohort=COHORT,
                                    views_factor=float(rng.uniform(1, 4)))
        focus.append(video)
        b.report(video.created_at + float(rng.lognormal(math.log(600), 0.7)), victim.id, video.id, "harassment",
                 text="this video is about me, it is abuse and doxxing")
    platform.user_reports(focus, 0.0, w.horizon_s)
    friends = make_attackers(platform, w.size(10, 120, 5), created_between=(-4 * 365 * DAY, -30 * DAY),
                             fingerprints="organic", label="friends")
    delay = float(math.exp(rng.uniform(math.log(5 * 60), math.log(6 * HOUR))))
    duration = float(math.exp(rng.uniform(math.log(20 * 60), math.log(12 * HOUR))))
    targets = [s.id for s in innocent_targets(platform, victim, int(rng.integers(3, 16)),
                                              created_between=(-7 * DAY, posted - HOUR))]
    profile = platform.new_upload(victim.created_at or -DAY, creator=victim, kind="account", violating=False)
    profile.attacked = True
    targets.append(profile.id)
    share = float(rng.uniform(0.3, 0.9))
    text = choice(rng, ("template", "varied", "none"))
    k = attack(platform, friends, targets, start=posted + delay, duration=duration, share=share,
               reasons=("harassment", "impersonation", "hate"), text=text, templates=TEMPLATES)
    w.note(friends=len(friends), targets=len(targets), delay_min=delay / 60, duration_min=duration / 60,
           share=share, text=text, focus=len(focus), attack_reports=k, attack_size=len(friends))
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
