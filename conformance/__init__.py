"""OTT sign-in conformance kit: the suite, its pytest plugin, reports and CLI."""

__version__ = "0.1.0"
