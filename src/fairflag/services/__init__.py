"""Use cases. Each function takes a :class:`~fairflag.services.context.Context` (one open transaction)
and never commits: the caller's unit of work commits once (see ``fairflag.core``)."""
