"""``python -m fairflag.cli``: the same command line as ``fairflag``."""

from fairflag.cli import app

app(prog_name="fairflag")
