"""`conformance fuzz`: Schemathesis over each contract's OpenAPI document, authenticated.

For each contract the engine (the one `st run` drives) runs its examples, coverage and fuzzing
phases over every operation of ``schemas/<contract>.openapi.yaml`` against the target, with a
fixed seed and at most ``max_examples`` generated cases per operation and phase. Five checks
judge each answer: ``not_a_server_error``, ``status_code_conformance``,
``content_type_conformance``, ``response_schema_conformance`` and ``negative_data_rejection``.

Operations behind a security scheme get real credentials, obtained before the fuzzer starts
through the suite's own clients (the same flows a conformance run makes): the DSRA token of a
fresh registration, a companion's IAS access token, the operator portal's token, a
sign-on/activation token of an approved registration, an RFC 8628 access token, and the REST API
v2 access token of a registered application. Schemathesis injects each per operation, by the
scheme the operation names (``auth.openapi.<scheme>``), and still sends the coverage phase's
requests without them, so unauthenticated answers are judged too.

A finding is one distinct (operation, check, message) with a replayable curl command, redacted by
the run's :class:`~conformance.redact.Redactor`, and the requirement of the contract's catalogue
it maps to. Nothing here runs unless asked (``conformance fuzz`` or ``conformance run --fuzz``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from conformance import catalogue, openapi
from conformance.http import Http
from conformance.profile import Profile, with_base_url
from conformance.redact import Redactor

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
)
PHASES = ("examples", "coverage", "fuzzing")
DEFAULT_SEED = 20261203
DEFAULT_MAX_EXAMPLES = 25
MAX_FINDINGS_PER_CONTRACT = 200  # distinct findings kept per contract (the counts keep counting)
REQUEST_TIMEOUT_S = 10.0
KNOWN_VALUE_PROBABILITY = 0.7  # how often a path parameter takes the profile's value (known_values)

# The requirement a finding maps to: the first (contract, path regex, check regex, statuses) row
# that matches; statuses "2" / "4" / "5" match the first digit of the answer's status ("" any).
# Each contract's last row is its catch-all: the SCHEMA-style requirement of its catalogue (or, for a
# contract without one, its error-format requirement).
_MAPPING: tuple[tuple[str, str, str, str, str], ...] = (
    ("ott_idp", r"^/oauth/signup", r".", "", "OTT-SIGNUP-011"),
    ("ott_idp", r"^/oauth/token", r"response_schema|content_type", "2", "OTT-SCHEMA-001"),
    ("ott_idp", r"^/oauth/token", r"content_type", "", "OTT-ERR-001"),
    ("ott_idp", r".", r".", "", "OTT-SCHEMA-002"),
    ("device_signon", r"^/(dsra|ias)/", r".", "", "DSO-DSRA-024"),
    ("device_signon", r".", r".", "", "DSO-8628-026"),  # the OAuth-style endpoints: RFC 6749 §5.2 errors
    ("platform_sso", r"^/o/client/", r".", "", "PSSO-DCR-010"),
    ("platform_sso", r".", r".", "", "PSSO-EEC-001"),
    ("partner_sso", r"/(sessions|profiles)/sso/", r"response_schema", "2", "PTR-SCHEMA-001"),
    ("partner_sso", r".", r".", "", "PTR-EEC-001"),
)


def requirement_for(contract: str, path: str, check: str, status: int | None) -> str:
    first = str(status)[0] if status else ""
    for c, path_re, check_re, statuses, rid in _MAPPING:
        if c != contract or not re.search(path_re, path) or not re.search(check_re, check):
            continue
        if statuses and first not in statuses:
            continue
        return rid
    return ""


@dataclass
class Finding:
    contract: str
    operation: str  # "POST /oauth/token"
    check: str
    message: str  # one line, redacted
    requirement: str
    curl: str  # redacted, replayable once the masked credentials are put back
    status: int | None = None
    count: int = 1  # how many failing cases gave this same finding


@dataclass
class ContractFuzz:
    contract: str
    requests: int = 0
    operations: list[str] = field(default_factory=list)  # every operation of the document
    reached: list[str] = field(default_factory=list)  # operations that answered at least once
    failures_by_check: dict[str, int] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # harness trouble (auth set-up, engine errors)
    authenticated: list[str] = field(default_factory=list)  # security schemes given credentials
    waived: int = 0  # failures not counted: an empty 401 challenge (see _waived)
    duration_s: float = 0.0

    @property
    def unreached(self) -> list[str]:
        return [op for op in self.operations if op not in self.reached]

    @property
    def failures(self) -> int:
        return sum(self.failures_by_check.values())


@dataclass
class FuzzResult:
    seed: int
    max_examples: int
    contracts: list[ContractFuzz] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(c.failures for c in self.contracts)

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.contracts for f in c.findings]

    @property
    def errors(self) -> list[str]:
        return [f"{c.contract}: {e}" for c in self.contracts for e in c.errors]

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "max_examples": self.max_examples,
            "checks": list(CHECKS),
            "phases": list(PHASES),
            "requests": sum(c.requests for c in self.contracts),
            "failures": self.failures,
            "contracts": [
                {
                    "contract": c.contract,
                    "requests": c.requests,
                    "operations_total": len(c.operations),
                    "operations_reached": len(c.reached),
                    "unreached": c.unreached,
                    "authenticated_schemes": c.authenticated,
                    "failures": c.failures,
                    "failures_by_check": dict(sorted(c.failures_by_check.items())),
                    "errors": c.errors,
                    "waived": c.waived,
                    "duration_s": round(c.duration_s, 3),
                    "findings": [asdict(f) for f in c.findings],
                }
                for c in self.contracts
            ],
        }


# --- credentials ------------------------------------------------------------------------------


Auth = dict[str, dict[str, str]]  # security scheme name -> {"bearer": ...} or {"username", "password"}
Known = dict[str, list[str]]  # "path.name" / "header.Name" -> values the generator often uses


def _ott_idp(profile: Profile, http: Http, redactor: Redactor) -> tuple[Auth, Known]:
    s = profile.section("ott_idp")
    return {"clientBasic": {"username": s["client_id"], "password": s["client_secret"]}}, {}


def _device_signon(profile: Profile, http: Http, redactor: Redactor) -> tuple[Auth, Known]:
    """A token per scheme, each from its own flow: one that fails (a vendor without the portal, a
    page that needs a browser) costs only its own scheme, which is then fuzzed unauthenticated."""
    from conformance.suite.device_signon.client import Dso

    dso = Dso(profile, http, redactor)
    s = profile.section("device_signon")
    variants = s.get("features", {}).get("variants", ["dsra", "rfc8628"])
    out: Auth = {}
    if s.get("confidential_client_id") and s.get("confidential_client_secret"):
        out["clientBasic"] = {
            "username": s["confidential_client_id"],
            "password": s["confidential_client_secret"],
        }
    flows: dict[str, Callable[[], str]] = {}
    if "dsra" in variants:
        flows["dsraToken"] = lambda: dso.register().token
        flows["iasAccessToken"] = lambda: dso.companion_token("secondary")
        if s.get("operator_token") or s.get("operator_client_id"):
            flows["operatorToken"] = dso.operator_token
        flows["activationToken"] = lambda: dso.activated("secondary")[1]["signOnActivationToken"]
    if "rfc8628" in variants:
        flows["accessToken"] = lambda: dso.tokens("primary")[1]["access_token"]
    failed = []
    for scheme, flow in flows.items():
        try:
            out[scheme] = {"bearer": flow()}
        except Exception as exc:  # noqa: BLE001 - any failure of a flow is reported, not raised
            failed.append(f"{scheme}: {type(exc).__name__}: {exc}")
    if failed:
        raise PartialCredentials(out, {}, failed)
    return out, {}


class PartialCredentials(Exception):
    """Some flows gave credentials, some failed: fuzz with what there is, report the rest."""

    def __init__(self, auth: Auth, known: Known, failed: list[str]) -> None:
        super().__init__("; ".join(failed))
        self.auth, self.known, self.failed = auth, known, failed


def _device_headers(app: Any) -> Known:
    """A well-formed device (AP-Device-Identifier, X-Device-Info): without them nearly every REST API
    v2 request stops at the header checks."""
    from conformance.suite.platform_sso.client import DEVICE_INFO, b64

    return {
        "header.AP-Device-Identifier": [app.device],
        "header.X-Device-Info": [b64(json.dumps(DEVICE_INFO))],
    }


def _psso(profile: Profile, http: Http, redactor: Redactor) -> tuple[Auth, Known]:
    from conformance.suite.platform_sso.client import Psso

    psso = Psso(profile, http, redactor)
    app = psso.app("first")
    known = _device_headers(app)
    if "jws" in psso.features.get("subject_token", []):
        known["header.Adobe-Subject-Token"] = [psso.jws_subject("fuzz-platform-user")]
    return {"bearer": {"bearer": app.token}}, known


def _partner(profile: Profile, http: Http, redactor: Redactor) -> tuple[Auth, Known]:
    """The bearer token, a device, and a valid Partner Framework Status: without one every Profiles
    Partner request stops at the PFS check, before the SAML response is even read."""
    from conformance.suite.partner_sso.client import Partner

    partner = Partner(profile, http, redactor)
    app = partner.app("first")
    known = _device_headers(app)
    known["header.AP-Partner-Framework-Status"] = [partner.pfs(app)]
    return {"bearer": {"bearer": app.token}}, known


CREDENTIALS: dict[str, Callable[[Profile, Http, Redactor], tuple[Auth, Known]]] = {
    "ott_idp": _ott_idp,
    "device_signon": _device_signon,
    "platform_sso": _psso,
    "partner_sso": _partner,
}


def credentials(contract: str, profile: Profile, http: Http, redactor: Redactor) -> tuple[Auth, Known]:
    """Credentials per security scheme name of the contract's document, obtained from the target,
    and the values of headers that only a real flow can give (remembered by the redactor)."""
    try:
        auth, known = CREDENTIALS[contract](profile, http, redactor)
    except PartialCredentials as partial:
        auth, known = partial.auth, partial.known
        _remember(redactor, auth, known)
        raise
    _remember(redactor, auth, known)
    return auth, known


def _remember(redactor: Redactor, auth: Auth, known: Known) -> None:
    for values in auth.values():
        for v in values.values():
            redactor.remember(v)
    for values in known.values():
        for v in values:
            redactor.remember(v)


# --- the engine -------------------------------------------------------------------------------


def known_values(contract: str, profile: Profile) -> Known:
    """Path parameters that name the target's configured resources, and the profile's values for
    them: the generator uses these often (not always), so operations are reached past the "unknown
    serviceProvider" answer while random values still probe that answer."""
    s = profile.section(contract)
    if contract not in ("platform_sso", "partner_sso"):
        return {}
    found = {
        "serviceProvider": [s.get("service_provider")],
        "mvpd": [s.get("mvpd"), s.get("second_mvpd")],
        "partner": [s.get("partner", "Apple")] if contract == "partner_sso" else [],
    }
    return {f"path.{k}": [v for v in vs if isinstance(v, str) and v] for k, vs in found.items() if any(vs)}


def _config(
    base_url: str,
    seed: int,
    max_examples: int,
    auth: Auth,
    known: Known | None = None,
) -> Any:
    import schemathesis

    data: dict[str, Any] = {
        "seed": seed,
        "base-url": base_url,
        "continue-on-failure": True,
        "request-timeout": REQUEST_TIMEOUT_S,
        "workers": 1,
        "cache": {"enabled": False},  # no state from earlier runs: a seed replays the same run
        "generation": {
            "mode": "all",
            "max-examples": max_examples,
            "database": "none",
            "deterministic": True,
            "no-shrink": True,
        },
        "phases": {p: {"enabled": p in PHASES} for p in ("examples", "coverage", "fuzzing", "stateful")},
        "checks": {
            "enabled": False,
            **{name: {"enabled": True} for name in CHECKS},
        },
    }
    if auth:
        data["auth"] = {"openapi": auth}
    if known:
        data["dictionaries"] = {f"known-{key}": {"values": values} for key, values in known.items()}
        data["parameters"] = {
            key: {"dictionary": f"known-{key}", "probability": KNOWN_VALUE_PROBABILITY} for key in known
        }
    return schemathesis.Config.from_dict(data)


# Where the profile says each documented path is (a vendor, or the reference server, may move them):
# profile key -> the document's path. For the REST API v2 contracts, whole prefixes move.
PATH_KEYS: dict[str, dict[str, str]] = {
    "ott_idp": {
        "token_url": "/oauth/token",
        "signup_url": "/oauth/signup",
        "discovery_url": "/.well-known/openid-configuration",
    },
    "device_signon": {
        "dsra_code_url": "/dsra/v1/user/deviceRegistrationCode",
        "dsra_poll_url": "/dsra/v1/user/signOnActivationToken",
        "dsra_approve_url": "/dsra/v1/user/deviceRegistrationCode/actions/approve",
        "dsra_reject_url": "/dsra/v1/user/deviceRegistrationCode/actions/reject",
        "dsra_operator_approve_url": "/dsra/v1/operator/deviceRegistrationCode/actions/approve",
        "operator_token_url": "/auth/realms/operator/protocol/openid-connect/token",
        "ias_activation_url": "/ias/v3/token/actions/signOnBySignOnActivationToken",
        "ias_password_url": "/ias/v3/token/actions/signOnByUserNamePassword",
        "ias_refresh_url": "/ias/v2/token",
        "jwks_url": "/ias/.well-known/jwks.json",
        "device_authorization_url": "/oauth2/device_authorization",
        "token_url": "/oauth2/token",
        "verification_url": "/device",
        "userinfo_url": "/oauth2/userinfo",
        "metadata_url": "/.well-known/oauth-authorization-server",
    },
    "platform_sso": {"media_token_jwks_url": "/media-token/jwks.json"},
}
PREFIX_KEYS: dict[str, dict[str, str]] = {
    "platform_sso": {"api_base_url": "/api/v2", "dcr_base_url": "/o"},
    "partner_sso": {"api_base_url": "/api/v2", "dcr_base_url": "/o"},
}


def origin(profile: Profile) -> str:
    parts = urlsplit(profile.base_url)
    return f"{parts.scheme}://{parts.netloc}"


def moved_paths(contract: str, profile: Profile) -> dict[str, str]:
    """The document's path -> the path the profile gives for it, on the target's own origin
    (only those that differ; an endpoint on another host keeps its documented path)."""
    section = profile.section(contract)
    home = urlsplit(profile.base_url).netloc

    def where(key: str) -> str | None:
        if not section.get(key):
            return None
        parts = urlsplit(profile.url(contract, key))
        return (parts.path.rstrip("/") or "/") if parts.netloc in ("", home) else None

    moved: dict[str, str] = {}
    for path in openapi.document(contract).get("paths", {}):
        for key, documented in PATH_KEYS.get(contract, {}).items():
            if path == documented and (found := where(key)) and found != path:
                moved[path] = found
        for key, prefix in PREFIX_KEYS.get(contract, {}).items():
            under = path == prefix or path.startswith(prefix + "/")
            if under and (found := where(key)) and found != prefix:
                moved[path] = found + path[len(prefix) :]
    return moved


def _document(contract: str, moved: dict[str, str], known: Known | None = None) -> dict[str, Any]:
    """The contract's document as the fuzzer loads it: paths where the profile puts them, and the
    ``known`` values as the first ``examples`` of their parameters' schemas, so that the examples
    and coverage phases (which start from examples) get past the checks those values open too.
    Only this in-memory copy changes; the file is the contract."""
    doc = copy.deepcopy(openapi.document(contract))
    doc["paths"] = {moved.get(p, p): item for p, item in doc.get("paths", {}).items()}
    doc.pop("servers", None)
    for param in _parameters(doc):
        values = (known or {}).get(f"{param.get('in')}.{param.get('name')}")
        schema = param.get("schema")
        if not values or not isinstance(schema, dict):
            continue
        if "$ref" in schema:  # a referenced schema is shared: give this parameter its own copy
            ref = str(schema["$ref"])
            target = doc.get("components", {}).get("schemas", {}).get(ref.rsplit("/", 1)[-1])
            if not ref.startswith("#/components/schemas/") or not isinstance(target, dict):
                continue
            schema = param["schema"] = copy.deepcopy(target)
        schema["examples"] = list(values) + [v for v in schema.get("examples", []) if v not in values]
    return doc


def _parameters(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from (p for p in doc.get("components", {}).get("parameters", {}).values() if isinstance(p, dict))
    for item in doc.get("paths", {}).values():
        for where in [item, *(item.get(m, {}) for m in HTTP_METHODS)]:
            yield from (p for p in where.get("parameters", []) if isinstance(p, dict) and "$ref" not in p)


HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations(contract: str) -> list[str]:
    """Every operation of the contract's document, as "METHOD /path" (Schemathesis's labels)."""
    doc = openapi.document(contract)
    return sorted(
        f"{method.upper()} {path}"
        for path, item in doc.get("paths", {}).items()
        for method in item
        if method in HTTP_METHODS
    )


def _label(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def fuzz_contract(
    contract: str,
    profile: Profile,
    redactor: Redactor,
    *,
    seed: int = DEFAULT_SEED,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    http: Http | None = None,
) -> ContractFuzz:
    """Fuzz one contract's document against ``profile.base_url`` (which must be set)."""
    import schemathesis
    from schemathesis.engine import Status, events, from_schema

    started = time.perf_counter()
    out = ContractFuzz(contract)
    own_http = http is None
    http = http or Http(redactor, profile.timeout)
    try:
        try:
            auth, known = credentials(contract, profile, http, redactor)
        except PartialCredentials as partial:
            auth, known = partial.auth, partial.known
            for line in partial.failed:
                out.errors.append(
                    "credentials: " + _one_line(redactor.text(line)) + " (fuzzed unauthenticated)"
                )
        except Exception as exc:  # a flow failed: fuzz without the credentials it would have given
            out.errors.append(
                "credentials: "
                + _one_line(redactor.text(f"{type(exc).__name__}: {exc}"))
                + " (operations behind those schemes are fuzzed unauthenticated)"
            )
            auth, known = {}, {}
        out.authenticated = sorted(auth)
        moved = moved_paths(contract, profile)
        every_known = {**known_values(contract, profile), **known}
        schema = schemathesis.openapi.from_dict(
            _document(contract, moved, every_known),
            config=_config(origin(profile), seed, max_examples, auth, every_known),
        )
        out.operations = operations(contract)
        back = {f"{m.upper()} {p}": f"{m.upper()} {o}" for o, p in moved.items() for m in HTTP_METHODS}
        _run_engine(contract, from_schema(schema), out, redactor, events, Status, back)
    finally:
        if own_http:
            http.close()
    out.duration_s = time.perf_counter() - started
    return out


def _run_engine(
    contract: str,
    engine: Any,
    out: ContractFuzz,
    redactor: Redactor,
    events: Any,
    Status: Any,
    back: dict[str, str],
) -> None:
    reached: set[str] = set()
    seen: dict[tuple[str, str, str], Finding] = {}
    failures: Counter[str] = Counter()
    uvicorn_log = logging.getLogger("uvicorn.error")
    level = uvicorn_log.level
    uvicorn_log.setLevel(logging.ERROR)  # "Invalid HTTP request received." once per malformed request
    try:
        for event in engine.execute():
            if isinstance(event, events.ScenarioFinished):
                _record(contract, event.recorder, out, reached, seen, failures, redactor, Status, back)
            elif isinstance(event, events.NonFatalError):
                out.errors.append(_one_line(redactor.text(f"{event.label}: {event.info.message}")))
            elif isinstance(event, events.FatalError):
                out.errors.append(_one_line(redactor.text(f"fatal: {event.exception}")))
    finally:
        uvicorn_log.setLevel(level)
    out.reached = sorted(reached)
    out.failures_by_check = dict(failures)
    out.findings = sorted(seen.values(), key=lambda f: (f.operation, f.check, f.message))


def _record(
    contract: str,
    recorder: Any,
    out: ContractFuzz,
    reached: set[str],
    seen: dict[tuple[str, str, str], Finding],
    failures: Counter[str],
    redactor: Redactor,
    Status: Any,
    back: dict[str, str],
) -> None:
    """Count one scenario's requests and keep its failures; labels are the document's (``back``
    maps a moved path's label to it)."""
    for case_id, interaction in recorder.interactions.items():
        out.requests += 1
        if interaction.response is not None:
            node = recorder.cases.get(case_id)
            if node is not None:
                label = _label(node.value.operation)
                reached.add(back.get(label, label))
    for case_id, checks in recorder.checks.items():
        for check in checks:
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            response = recorder.interactions.get(case_id)
            if _waived(check.name, response):
                out.waived += 1
                continue
            failures[check.name] += 1
            node = recorder.cases.get(case_id)
            if node is None:
                continue
            case = node.value
            operation = back.get(_label(case.operation), _label(case.operation))
            status = response.response.status_code if response and response.response else None
            failure = check.failure_info.failure
            message = _one_line(redactor.text(f"{failure.title}: {failure.message}".rstrip(": ")))
            key = (operation, check.name, _fingerprint(failure.title, status))
            if key in seen:
                seen[key].count += 1
                continue
            if len(seen) >= MAX_FINDINGS_PER_CONTRACT:
                continue
            seen[key] = Finding(
                contract=contract,
                operation=operation,
                check=check.name,
                message=message,
                requirement=requirement_for(contract, operation.split(" ", 1)[1], check.name, status),
                curl=redactor.text(check.failure_info.code_sample),
                status=status,
            )


def _waived(check: str, interaction: Any) -> bool:
    """An empty-bodied 401 is an RFC 6750 §3.1 / RFC 9110 §11.6.1 challenge: the WWW-Authenticate
    header is the answer, and a request without credentials "SHOULD NOT" get error details. The
    documents declare the JSON body the error case has; OpenAPI cannot mark that body optional, so
    a missing body (and so a missing Content-Type) on a 401 with a challenge is not held against
    the target."""
    if check not in ("content_type_conformance", "response_schema_conformance"):
        return False
    response = interaction.response if interaction is not None else None
    if response is None or response.status_code != 401 or response.content:
        return False
    return any(k.lower() == "www-authenticate" for k in response.headers)


def _fingerprint(title: str, status: int | None) -> str:
    """Findings that differ only in generated data are one finding (a title and the status class)."""
    return f"{title}|{status}"


def run(
    profile: Profile,
    contracts: Iterable[str],
    redactor: Redactor,
    *,
    seed: int = DEFAULT_SEED,
    max_examples: int = DEFAULT_MAX_EXAMPLES,
    progress: Callable[[str], None] | None = None,
) -> FuzzResult:
    """Fuzz each contract in turn against ``profile.base_url``."""
    result = FuzzResult(seed, max_examples)
    for contract in contracts:
        if progress:
            progress(f"fuzz: {contract} ...")
        one = fuzz_contract(contract, profile, redactor, seed=seed, max_examples=max_examples)
        result.contracts.append(one)
        if progress:
            progress(summary_line(one))
    return result


@contextlib.contextmanager
def target(profile: Profile, faults: Iterable[str] = ()) -> Iterator[tuple[Profile, str]]:
    """The profile aimed at what is fuzzed: the vendor's base URL, or a fresh embedded reference
    server (with ``faults``) serving :func:`fuzz_profile_data`. Yields (profile, target label)."""
    if not profile.embedded:
        yield profile, profile.base_url
        return
    from reference_server.server import EmbeddedServer

    data = fuzz_profile_data(profile.data)
    with EmbeddedServer(data, list(faults)) as server:
        aimed = with_base_url(profile, server.url)
        aimed.data = data
        yield aimed, "embedded reference server"


def summary_line(c: ContractFuzz) -> str:
    checks = ", ".join(f"{k} {v}" for k, v in sorted(c.failures_by_check.items())) or "none"
    return (
        f"fuzz: {c.contract}: {c.requests} requests, {len(c.reached)}/{len(c.operations)} operations "
        f"reached, {c.failures} failure(s) ({checks}), {len(c.findings)} distinct finding(s) "
        f"[{c.duration_s:.1f}s]"
    )


def fuzz_profile_data(data: dict[str, Any]) -> dict[str, Any]:
    """The reference profile as the embedded server for a fuzz run serves it: throttles that would
    answer most generated requests with 429 are lifted (the suite tests throttling, not the fuzzer)."""
    data = copy.deepcopy(data)
    psso = data.get("platform_sso")
    if isinstance(psso, dict):
        psso["throttle_burst"] = 1_000_000
        psso["throttle_rate_per_s"] = 1_000_000.0
    return data


def known_requirements() -> set[str]:
    """Every requirement id the mapping can name (tests check they exist in the catalogues)."""
    return {row[-1] for row in _MAPPING}


def unknown_requirements() -> list[str]:
    every = catalogue.all_requirements()
    return sorted(r for r in known_requirements() if r not in every)
