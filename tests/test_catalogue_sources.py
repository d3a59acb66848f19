"""Every catalogue `source` names a public document and section an auditor can open (issue 8).

Our own spec files are not in the repository, so a source must lead with the public text the rule
comes from (an RFC section, an OpenID Connect section, a vendor page by its title); our internal rule
numbers may follow, inside parentheses. The lists below are the documents the project's specs and
seeds cite: a new document is added here on purpose, not by accident.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from conformance import catalogue
from conformance.catalogue import Requirement

NAGRA_PAGES = (
    "Signing on with a companion app",
    "Requesting a device registration code (registering device)",
    "Requesting a sign-on/activation token (registering device)",
    "Approving a sign-on request (companion app)",
    "Approving a sign-on request (web portal)",
    "Signing on with the sign-on/activation token (registering device)",
    "Refresh token",
    "Bearer token response",
    "Authentication token",
    "Sign-in error code management",
    "First time and n-th time sign on",
    "Device approval",
)
VIMEO_ARTICLE = "Supporting SSO for Roku devices for Vimeo OTT"
VIMEO_SECTIONS = (
    "Implementation",
    "Configuration",
    "Credentials",
    "Authentication",
    "Token Endpoint",
    "Sign Up Endpoint",
)
ADOBE_REST_V2_PAGES = (
    "Retrieve configuration for specific service provider",
    "Create authentication session",
    "Resume authentication session",
    "Retrieve authentication session information using code",
    "Perform authentication in user agent",
    "Retrieve profiles",
    "Retrieve profile for specific mvpd",
    "Retrieve profile for specific code",
    "Retrieve partner authentication request",
    "Retrieve profile using partner authentication response",
    "Retrieve authorization decisions using specific mvpd",
    "Retrieve preauthorization decisions using specific mvpd",
    "Initiate logout for specific mvpd",
    "Authorization",
    "AP-Device-Identifier",
    "X-Device-Info",
    "Adobe-Subject-Token",
    "X-Roku-Reserved-Roku-Connect-Token",
    "AP-Partner-Framework-Status",
    "Single sign-on using platform identity flows",
    "Single sign-on using partner flows",
    "Single sign-on logout flow",
    "FAQs",
)
ADOBE_DCR_PAGES = ("Retrieve client credentials", "Retrieve access token")
ADOBE_GUIDES = (
    "Enhanced Error Codes",
    "Throttling mechanism",
    "Roku SSO Cookbook (REST API V2)",
    "Amazon SSO Cookbook (REST API V2)",
    "Apple SSO Cookbook (REST API V2)",
)


def _alternatives(titles: tuple[str, ...]) -> str:
    return "|".join(re.escape(t) for t in titles)


# A source opens with exactly one of these: a document *and* where in it.
PUBLIC_LEAD = re.compile(
    "|".join(
        (
            r"RFC \d{4,5} (§\d+(\.\d+)*|\()",  # a section, or the topic when the RFC is cited whole
            r"OpenID Connect (Core|Discovery) 1\.0 §\d+(\.\d+)*",
            rf'Nagra OPF, "({_alternatives(NAGRA_PAGES)})"',
            rf'Vimeo OTT Help Center, "{re.escape(VIMEO_ARTICLE)}" — ({_alternatives(VIMEO_SECTIONS)})',
            rf'Adobe Pass Authentication REST API V2, "({_alternatives(ADOBE_REST_V2_PAGES)})"',
            rf'Adobe Pass Authentication DCR API, "({_alternatives(ADOBE_DCR_PAGES)})"',
            rf'Adobe Pass Authentication, "({_alternatives(ADOBE_GUIDES)})"',
            r"Adobe Pass Authentication release notes \d+\.\d+\.\d+",
            r"Adobe Pass (REST API V2 OpenAPI \(restApiV2\.json\)|DCR API OpenAPI \(dcrApi\.json\))",
        )
    )
)
# Every quoted vendor page anywhere in a source (not only the first) must be a known title.
QUOTED_PAGE = re.compile(r'(Nagra OPF|Adobe Pass Authentication(?: REST API V2| DCR API)?), "([^"]+)"')
KNOWN_PAGES = {
    "Nagra OPF": NAGRA_PAGES,
    "Adobe Pass Authentication REST API V2": ADOBE_REST_V2_PAGES,
    "Adobe Pass Authentication DCR API": ADOBE_DCR_PAGES,
    "Adobe Pass Authentication": ADOBE_GUIDES,
}
KIT_MARK = {"PROPOSED": "proposed by this kit", "INFERRED": "inferred by this kit"}


def _requirements() -> list[Requirement]:
    return [
        req for contract in catalogue.available() for req in catalogue.load(contract).requirements.values()
    ]


REQUIREMENTS = _requirements()


def _lead_problem(req: Requirement) -> str:
    if req.source.lower().startswith(("spec", "seed")):
        return "opens with an internal reference"
    if not PUBLIC_LEAD.match(req.source):
        return "does not open with a known public document and section"
    return ""


def _private_problem(req: Requirement) -> str:
    found = [p for p in ("specs/", ".md", "seed 0", "[NG-", "[P]", "[O]", "[OD]") if p in req.source]
    return f"cites what an auditor cannot open: {found}" if found else ""


def _title_problem(req: Requirement) -> str:
    unknown = [
        f"{pub}: {title}" for pub, title in QUOTED_PAGE.findall(req.source) if title not in KNOWN_PAGES[pub]
    ]
    return f"unknown page titles {unknown}" if unknown else ""


def _order_problem(req: Requirement) -> str:
    """Internal references ("spec ...") only inside the parentheses that follow the public part."""
    for found in re.finditer(r"\bspec\b", req.source):
        before = req.source[: found.start()]
        if before.count("(") <= before.count(")"):
            return "internal reference outside parentheses"
    return ""


def _kit_mark_problem(req: Requirement) -> str:
    mark = KIT_MARK.get(req.status)
    if mark and mark not in req.source:
        return f"{req.status} rule must say {mark!r}"
    if not mark and "by this kit" in req.source:
        return f"{req.status} rule says the kit made it"
    return ""


def _url_problem(req: Requirement) -> str:
    if req.url and not re.fullmatch(r"https://[^\s\"]+", req.url):
        return f"url is not a public https link: {req.url!r}"
    return ""


def _rule_number_problem(req: Requirement) -> str:
    """A bare rule number ("rule 10") means nothing without the spec before it ("spec adobe-pass-v2
    ..., rule 10"): `requirements --check` would count no rule as answered (issue 9)."""
    for found in re.finditer(r"\brules? \d", req.source):
        if not re.search(r"\bspec [a-z0-9-]+", req.source[: found.start()]):
            return "cites a rule number without naming the spec it belongs to"
    return ""


CHECKS = {
    "lead": _lead_problem,
    "private": _private_problem,
    "titles": _title_problem,
    "order": _order_problem,
    "kit-mark": _kit_mark_problem,
    "url": _url_problem,
    "rule-number": _rule_number_problem,
}


def test_catalogues_were_found() -> None:
    assert len(REQUIREMENTS) > 200, "the catalogues were not found"


@pytest.mark.parametrize("check", CHECKS.values(), ids=CHECKS.keys())
def test_every_source(check: Callable[[Requirement], str]) -> None:
    problems = []
    for req in REQUIREMENTS:
        problem = check(req)
        if problem:
            problems.append(f"{req.id}: {problem} -- {req.source!r}")
    assert not problems, "\n".join(problems)


LAZY = (
    ("CONFIRMED", "spec VTK-21"),
    ("CONFIRMED", "specs/device-and-ropc.md §1.3"),
    ("CONFIRMED", "seed 001 (4XX errors)"),
    ("CONFIRMED", "RFC 6749"),
    ("CONFIRMED", "OIDC Core §2"),
    ("CONFIRMED", "Nagra DSRA D1 [NG-D1]"),
    ("CONFIRMED", 'Nagra OPF, "Requesting a code"'),
    ("CONFIRMED", "Adobe Pass REST API v2, Retrieve profiles"),
    ("CONFIRMED", "RFC 6749 §5.2 spec rule VTK-03"),
    ("PROPOSED", "RFC 6749 §5.2 (spec rule VTK-09)"),
    ("CONFIRMED", "RFC 6749 §5.2 (proposed by this kit)"),
    ("CONFIRMED", "RFC 6749 §5.2 (rule 10)"),
)


@pytest.mark.parametrize(("status", "source"), LAZY)
def test_a_lazy_source_is_refused(status: str, source: str) -> None:
    req = Requirement(id="X-1", contract="x", level="MUST", status=status, source=source, text="t")
    assert any(check(req) for check in CHECKS.values()), source
