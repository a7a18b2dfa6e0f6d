"""A queue flood: thousands of weak, low-severity reports on thousands of innocent uploads, meant to bury
the review queue while real violations (livestreams among them) keep arriving. The damage is not wrongful
restriction but delay: how long do the real violations wait?"""

from __future__ import annotations

from dataclasses import dataclass

from fairflag.sim.platform import DAY, HOUR, attack_text, make_attackers, scaled
from fairflag.sim.scenarios.base import Lines, ScenarioDef, begin, finish

NAME = "queue_flood"
DESCRIPTION = "2000 accounts file ~15k weak reports on 5000 innocent uploads over a day to bury the queue."


@dataclass(frozen=True)
class Params:
    horizon_s: float = 3 * DAY
    flooders: int = 2000
    targets: int = 5000
    reports_per_target: float = 3.0
    start_s: float = 12 * HOUR
    duration_s: float = 24 * HOUR
    livestream_share: float = 0.08


def generate(seed: int, scale: float, params: Params = Params()) -> Lines:
    p = params
    builder, platform = begin(NAME, seed, scale, p.horizon_s)
    rng = platform.rng
    platform.organic(0.0, p.horizon_s, livestream_share=p.livestream_share)
    n = scaled(p.flooders, scale, 10)
    flooders = (make_attackers(platform, n // 2, created_between=(-20 * DAY, p.start_s - HOUR), fingerprints="unique",
                               label="flood")
                + make_attackers(platform, n - n // 2, created_between=(-2 * DAY, p.start_s - HOUR),
                                 fingerprints="shared", devices=40, networks=10, label="floodfarm"))
    for c in sorted(rng.uniform(-2 * DAY, p.start_s + p.duration_s - HOUR, scaled(p.targets, scale, 20))):
        s = platform.new_upload(float(c), kind="video", violating=False)
        s.attacked = True
        k = 1 + int(rng.poisson(p.reports_per_target - 1))
        for i in rng.choice(len(flooders), size=min(k, len(flooders)), replace=False):
            f = flooders[int(i)]
            t = max(s.created_at + 60, p.start_s) + float(rng.uniform(0, p.duration_s))
            builder.report(t, f.id, s.id, str(rng.choice(["spam", "other", "fake_engagement"])),
                           text=attack_text(rng, "varied", ()), fp_net=f.fp_net, fp_dev=f.fp_dev, abusive=True)
    return finish(builder, platform, DESCRIPTION)


SCENARIO = ScenarioDef(NAME, DESCRIPTION, generate)
