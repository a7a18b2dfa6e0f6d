"""Quiet days: organic reporting only, on a platform drawn like every other world's (reviewer capacity,
share of mistaken reports, text and fingerprints), sometimes with a viral real violation that an honest
crowd reports at once. The control: nothing here is an attack, so any campaign found is a false one and any
reporter sanctioned is an honest one."""

from __future__ import annotations

from fairflag.sim.worlds.base import FamilyDef, Lines, begin, window

NAME = "quiet_day"
DESCRIPTION = "Organic reporting only, sometimes with a viral real violation (control)."


def generate(seed: int, scale: float) -> Lines:
    w = begin(NAME, seed, scale)
    rng, platform = w.rng, w.platform
    platform.organic(0.0, w.horizon_s)
    viral = rng.random() < 0.5
    if viral:
        s = platform.new_upload(window(w, earliest_h=1.0, latest_share=0.7, duration_s=0.0), kind="video",
                                violating=True, views_factor=float(rng.uniform(20, 100)))
        platform.user_reports([s], 0.0, w.horizon_s)
    w.note(viral_violation=bool(viral), attack_size=0)
    return w.finish(DESCRIPTION)


FAMILY = FamilyDef(NAME, DESCRIPTION, generate)
