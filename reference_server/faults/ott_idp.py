"""Faults of the `ott_idp` reference server."""
