"""Fixtures of the `ott_idp` suite: the client, and one sign-in of the primary account its tests share."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.checks import Blocked
from conformance.http import Http
from conformance.jose import Decoded, decode
from conformance.profile import Profile
from conformance.redact import Redactor
from conformance.suite.ott_idp.client import Ott


@pytest.fixture(scope="session")
def ott(profile: Profile, http: Http, redactor: Redactor) -> Ott:
    return Ott(profile, http, redactor)


@pytest.fixture(scope="session")
def _primary_login(ott: Ott) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    start = len(ott.http.evidence.exchanges)
    body = ott.login("primary")
    return body, ott.http.evidence.exchanges[start:]


@pytest.fixture
def primary(_primary_login, http: Http) -> dict[str, Any]:
    """One sign-in of the primary account (openid email profile), shared by the id_token tests.

    Its exchange is attached to every test that uses it, so each verdict carries its evidence.
    """
    body, exchanges = _primary_login
    for exchange in exchanges:
        if not any(e is exchange for e in http.evidence.exchanges):
            http.evidence.exchanges.append({**exchange, "shared": True})
    return body


@pytest.fixture
def primary_id_token(primary: dict[str, Any]) -> Decoded:
    """The primary id_token's header and claims, read leniently: a padded segment fails OTT-IDT-001
    alone, and each claim is still judged by its own requirement."""
    try:
        return decode(primary["id_token"])
    except ValueError as exc:
        raise Blocked(f"the id_token is not a compact JWS ({exc})", by="OTT-IDT-001") from None
