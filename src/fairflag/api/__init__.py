"""The HTTP API: translation only. Routes authenticate, call a use case and shape the answer."""
