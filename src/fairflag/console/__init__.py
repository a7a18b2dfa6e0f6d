"""The moderator console: server-rendered pages over the same use cases as the API (``core.run``/``core.query``).

It holds no moderation rule of its own; it translates forms into use-case calls and results into HTML.
"""

from fairflag.console.app import PREFIX, create_console

__all__ = ["PREFIX", "create_console"]
