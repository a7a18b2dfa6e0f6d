"""fairflag: receives user reports (flags) and handles them fairly under mass-reporting abuse."""

__version__ = "0.1.0"
