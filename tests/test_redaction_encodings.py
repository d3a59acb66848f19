"""A secret is masked in every form a vendor can echo it back in (issue 11).

Percent-encoded (upper and lower hex, ``+`` for spaces), HTML/XML-escaped (named and numeric
entities), JSON-escaped (ASCII-only or not), Base64 alone or inside ``id:secret``: each is
recognised because :meth:`Redactor.remember` learns every form at once, so headers, bodies, URLs,
messages and report text all benefit. The expected forms are built here independently of
``conformance.redact``.
"""

from __future__ import annotations

import base64
import html
import json
import re
from urllib.parse import quote, quote_plus

import pytest

from conformance.redact import Redactor, encodings

SECRETS = ['p<&"% +w0rd!', "s'<&\"% +w0rd2/?", 'l<&"% +w0rd3=é', "plain-secret-0123"]


def _forms(secret: str) -> dict[str, str]:
    lower = re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote_plus(secret))
    return {
        "raw": secret,
        "quote": quote(secret, safe=""),
        "quote path": quote(secret),
        "quote_plus": quote_plus(secret),
        "quote_plus lower hex": lower,
        "encodeURIComponent": quote(secret, safe="!'()*~"),
        "html.escape": html.escape(secret),
        "html.escape quote=False": html.escape(secret, quote=False),
        "markupsafe": secret.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;"),
        "decimal entities": "".join(f"&#{ord(c)};" if c in "&<>\"'" else c for c in secret),
        "hex entities": "".join(f"&#x{ord(c):x};" if c in "&<>\"'" else c for c in secret),
        "json": json.dumps(secret)[1:-1],
        "json ensure_ascii=False": json.dumps(secret, ensure_ascii=False)[1:-1],
        "json of html": json.dumps(html.escape(secret, quote=False))[1:-1],
        "base64": base64.b64encode(secret.encode()).decode(),
        "base64 url-safe": base64.urlsafe_b64encode(secret.encode()).decode().rstrip("="),
    }


def _cases():
    return [(s, kind, form) for s in SECRETS for kind, form in _forms(s).items()]


@pytest.mark.parametrize(("secret", "kind", "form"), _cases(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_encoding_of_a_profile_secret_is_masked_in_text(secret, kind, form):
    r = Redactor(b"salt", {secret})
    out = r.text(f"vendor said [{form}] to us")
    assert form not in out, kind
    # One fingerprint for every form (Base64 padding may stay: it carries nothing).
    assert out.replace("=", "") == f"vendor said [{r.fingerprint(secret)}] to us", kind


@pytest.mark.parametrize("secret", SECRETS)
@pytest.mark.parametrize("client_id", ["ott-platform", "a", "ab", "abc:d"])
def test_basic_credentials_holding_the_secret_are_masked_whatever_the_client_id(secret, client_id):
    r = Redactor(b"salt", {secret})
    for sent in (secret, quote_plus(secret)):  # RFC 6749 §2.3.1 form-encodes it before Basic
        basic = base64.b64encode(f"{client_id}:{sent}".encode()).decode()
        out = r.text(f"echo: Authorization: Basic {basic}")
        assert basic not in out and basic.rstrip("=") not in out
        assert r.fingerprint(secret) in out
        # What is left around the fingerprint holds at most a few bits of the secret.
        left = re.sub(r"«fp:[0-9a-f]{8}»", "", out.split("Basic ", 1)[1])
        assert len(left) <= len(base64.b64encode(f"{client_id}:".encode())) + 4


def test_the_password_of_a_basic_header_is_learnt_with_its_encodings():
    r = Redactor(b"salt")
    secret = 'cl<&"% +s3cret!'
    basic = base64.b64encode(f"ott-platform:{quote_plus(secret)}".encode()).decode()
    assert r.headers([("Authorization", f"Basic {basic}")])[0][1].startswith("Basic «fp:")
    for kind, form in _forms(secret).items():
        assert form not in r.text(f"<p>{form}</p>"), kind


def test_headers_bodies_and_urls_all_mask_the_encoded_forms():
    secret = 'p<&"% +w0rd!'
    r = Redactor(b"salt", {secret})
    headers = r.headers(
        [("X-Echo", quote(secret, safe="")), ("Location", f"/back?echo={quote_plus(secret)}")]
    )
    assert all(secret not in v and quote(secret, safe="") not in v for _, v in headers), headers
    assert r.fingerprint(secret) in headers[0][1]
    page = (
        f"<p>{html.escape(secret)}</p><p>{''.join(f'&#{ord(c)};' for c in secret)}</p>"
        f'<input type="hidden" name="echo" value="{html.escape(secret)}">'
    ).encode()
    body = r.body("text/html", page)
    assert html.escape(secret) not in body and "w0rd" not in body, body
    broken_json = ('{"received": "' + json.dumps(secret)[1:-1] + '", "x": ').encode()  # truncated: text
    assert "w0rd" not in r.body("application/json", broken_json)
    form = f"username=someone&echo={quote_plus(secret)}".encode()
    assert "w0rd" not in r.body("application/x-www-form-urlencoded", form)
    url = r.url(f"https://vendor.test/cb?msg={quote(secret, safe='')}&next=/x")
    assert "w0rd" not in url and "next=%2Fx" in url, url


def test_a_value_learnt_during_a_run_is_masked_in_its_encodings_too():
    r = Redactor(b"salt")
    token = "tok/en+with=reserved&chars"
    r.remember(token)
    for kind, form in _forms(token).items():
        assert form not in r.text(f"[{form}]"), kind


def test_a_token_learnt_at_run_time_adds_few_forms():
    """text() tries every known form on every text: the hundreds of tokens a run learns must each
    add only their Base64 (the id:secret slices are for credentials), or a run slows down."""
    r = Redactor(b"salt")
    before = len(r._known)
    r.remember("aB3dE6gH9jK2mN5pQ8sT1vW4yZ7")
    assert len(r._known) - before <= 3
    assert len(encodings("aB3dE6gH9jK2mN5pQ8sT1vW4yZ7", credential=True)) > 3


def test_text_seen_before_is_redacted_again_after_a_new_secret_is_learnt():
    r = Redactor(b"salt")
    line = "the vendor echoed late-learnt-value%21 here"
    assert r.text(line) == line
    r.remember("late-learnt-value!")
    assert "late-learnt" not in r.text(line)


@pytest.mark.parametrize("name", ["txn", "ticket", "lt", "execution", "RelayState", "SAMLart"])
def test_an_mvpd_login_ticket_is_masked_wherever_it_travels(name):
    r = Redactor(b"salt")
    ticket = "ST-4c1d2e3f-Zq9rT7wXy0"
    location = r.headers([("Location", f"/mvpd/MVPD1/login?{name}={ticket}")])[0][1]
    get_url = r.url(f"https://mvpd.test/mvpd/MVPD1/login?{name}={ticket}")
    page = r.body("text/html", f'<form><input type="hidden" name="{name}" value="{ticket}"></form>'.encode())
    post = r.body("application/x-www-form-urlencoded", f"{name}={ticket}&username=u%40x.test".encode())
    fp = r.fingerprint(ticket)
    for where in (location, get_url, page, post):
        assert ticket not in where and quote(ticket) not in where, where
    # The same fingerprint wherever it went, as in the POST body.
    assert quote(fp, safe="") in location and quote(fp, safe="") in get_url and fp in post
    assert fp in page or "XML/SAML content, masked" in page


def test_profile_attributes_are_masked_by_the_attribute_name():
    r = Redactor(b"salt")
    doc = {
        "attributes": {
            "userID": {"value": "6c67f9800930152e2166", "state": "plain"},
            "upstreamUserID": {"value": "6c67f9800930152e2166", "state": "plain"},
            "householdID": {"value": "hh-6c67f9800930", "state": "plain"},
            "zip": {"value": ["90210"], "state": "enc"},
        }
    }
    out = r.body("application/json", json.dumps(doc).encode())
    for clear in ("6c67f9800930152e2166", "hh-6c67f9800930", "90210"):
        assert clear not in out, out
    assert out.count('"plain"') == 3 and '"enc"' in out  # a state word describes, it is no secret
    assert "plain" not in r._known


def test_a_random_oauth_state_is_still_masked():
    r = Redactor(b"salt")
    assert r.value("state", "Zk3m9QpX2vL8") != "Zk3m9QpX2vL8"
    assert r.value("state", "plain") == "plain"
