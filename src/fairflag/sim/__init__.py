"""The quality benchmark: a synthetic platform, attack scenarios, baselines and metrics.

Every scenario is first generated as a ``fairflag-events/1`` stream (see /work/shared/REPLAY_FORMAT.md and
:mod:`fairflag.sim.events`), then replayed through each engine (the real fairflag services on a fresh SQLite
database, and simple baselines) with the same simulated moderators. Third-party histories take the same path.
"""
