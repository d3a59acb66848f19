"""Vendor profiles: TOML, ``${VAR}`` secrets, validated against schemas/profile.schema.json.

A profile names the target (embedded reference server or a vendor's base URL), the contracts to
test, and per contract: endpoint URLs, credentials, test accounts, the features the vendor
claims (which switch requirements on and off) and ``claims`` (PROPOSED/INFERRED rules the vendor
says it implements, which then count at their full level).
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import jsonschema

from conformance import resources

SCHEMA_PATH = resources.schema_path("profile.schema.json")
REFERENCE_PROFILE = resources.profile_path("reference.toml")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
# Keys whose values are credentials or personal data whatever their origin.
SENSITIVE_KEY = re.compile(r"(password|secret|token|private|username|email|^name$|account_?id|pem)", re.I)


class ProfileError(ValueError):
    """A broken profile; the message is one line a user can act on."""


@dataclass
class Profile:
    path: Path
    data: dict[str, Any]
    secrets: set[str] = field(default_factory=set)  # every credential/PII value, for masking
    base_url: str = ""

    @property
    def name(self) -> str:
        return self.data.get("name", self.path.stem)

    @property
    def target(self) -> dict[str, Any]:
        return self.data.get("target", {})

    @property
    def embedded(self) -> bool:
        return bool(self.target.get("embedded"))

    @property
    def timeout(self) -> float:
        return float(self.target.get("timeout_s", 10.0))

    @property
    def contracts(self) -> list[str]:
        return list(self.target.get("contracts", []))

    def section(self, contract: str) -> dict[str, Any]:
        return self.data.get(contract, {})

    def features(self, contract: str) -> dict[str, Any]:
        return self.section(contract).get("features", {})

    def claims(self, contract: str, requirement_id: str) -> bool:
        claimed = self.section(contract).get("claims", [])
        return "*" in claimed or requirement_id in claimed

    def url(self, contract: str, key: str) -> str:
        """An endpoint URL of the section, resolved against the target's base URL."""
        value = self.section(contract).get(key)
        if not value:
            raise ProfileError(f"profile {self.path.name}: [{contract}] has no {key}")
        return (
            urljoin(self.base_url + "/", value)
            if self.base_url and not value.startswith(("http:", "https:"))
            else value
        )

    def fingerprint(self) -> str:
        """SHA-256 of the profile with every secret replaced, so a report can name it safely."""

        def scrub(node: Any, key: str = "") -> Any:
            if isinstance(node, dict):
                return {k: scrub(v, k) for k, v in sorted(node.items())}
            if isinstance(node, list):
                return [scrub(v, key) for v in node]
            if isinstance(node, str) and (node in self.secrets or SENSITIVE_KEY.search(key)):
                return "<secret>"
            return node

        canonical = json.dumps(scrub(self.data), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


def _interpolate(node: Any, where: str, env: dict[str, str], secrets: set[str], missing: list[str]) -> Any:
    if isinstance(node, dict):
        return {
            k: _interpolate(v, f"{where}.{k}" if where else k, env, secrets, missing) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_interpolate(v, f"{where}[{i}]", env, secrets, missing) for i, v in enumerate(node)]
    if not isinstance(node, str):
        return node

    def repl(m: re.Match[str]) -> str:
        name, default = m.group(1), m.group(2)
        if name in env:
            value = env[name]
        elif default is not None:
            value = default
        else:
            missing.append(f"{where}: environment variable {name} is not set")
            return f"<unset {name}>"  # keeps the schema from reporting the same problem again
        secrets.add(value)
        return value

    return _VAR.sub(repl, node)


def _collect_sensitive(node: Any, key: str, out: set[str]) -> None:
    if isinstance(node, dict):
        for k, v in node.items():
            # Feature switches ("jwks", ["jws", "jwe"]) are never credentials, whatever their key
            # says; masked, those words would vanish from every report.
            if k != "features":
                _collect_sensitive(v, k, out)
    elif isinstance(node, list):
        for v in node:
            _collect_sensitive(v, key, out)
    elif isinstance(node, str) and SENSITIVE_KEY.search(key) and len(node) >= 3 and not key.endswith("_url"):
        out.add(node)


def load(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> Profile:
    """The profile, or a ProfileError naming its first problem (see :func:`problems` for all)."""
    profile, found = _load(Path(path), env)
    if found:
        more = f" (and {len(found) - 1} more; run `conformance doctor`)" if len(found) > 1 else ""
        raise ProfileError(found[0] + more)
    assert profile is not None
    return profile


def problems(path: str | os.PathLike[str], env: dict[str, str] | None = None) -> list[str]:
    """Every problem of the profile, one line each (empty when it is usable)."""
    return _load(Path(path), env)[1]


def _load(path: Path, env: dict[str, str] | None) -> tuple[Profile | None, list[str]]:
    label = f"profile {path}"
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return None, [f"{label}: file not found"]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [f"{label}: cannot read: {exc}"]
    except tomllib.TOMLDecodeError as exc:
        return None, [f"{label}: not valid TOML: {exc}"]
    secrets: set[str] = set()
    missing: list[str] = []
    data = _interpolate(raw, "", dict(os.environ if env is None else env), secrets, missing)
    found = [f"{label}: {m}" for m in missing] + validate(data, label)
    # The profile's own top-level name labels the report; every other "name" is a person's.
    _collect_sensitive({k: v for k, v in data.items() if k != "name"}, "", secrets)
    secrets.discard("")
    profile = Profile(path=path, data=data, secrets=secrets)
    profile.base_url = str(data.get("target", {}).get("base_url", "")).rstrip("/")
    return profile, found


def validate(data: dict[str, Any], label: str) -> list[str]:
    """Schema and consistency problems, one line each."""
    schema = json.loads(SCHEMA_PATH.read_text())
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    found = []
    for err in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path)):
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            found.extend(f"{label}: {line}" for line in _unknown_keys(err))
            continue
        where = ".".join(str(p) for p in err.absolute_path) or "(top level)"
        found.append(f"{label}: {where}: {err.message}")
    target = data.get("target", {})
    if isinstance(target, dict) and not target.get("embedded") and not target.get("base_url"):
        for c in target.get("contracts", []) if isinstance(target.get("contracts"), list) else []:
            for k, v in (data.get(c) or {}).items():
                if k.endswith("_url") and isinstance(v, str) and not v.startswith(("http:", "https:")):
                    found.append(
                        f"{label}: {c}.{k} is relative but target has neither base_url nor embedded = true"
                    )
    dso = data.get("device_signon")
    if isinstance(dso, dict):
        found += [f"{label}: device_signon: {line}" for line in _operator_problems(dso)]
    ott = data.get("ott_idp")
    if isinstance(ott, dict):
        found += [f"{label}: ott_idp: {line}" for line in _ott_client_problems(ott)]
    return found


def _ott_client_problems(section: dict[str, Any]) -> list[str]:
    """Extra clients are distinct from the main one and from each other (the throttle test locks
    its client: were it the main one, every later test would be refused), one per role."""
    clients = [c for c in section.get("clients") or [] if isinstance(c, dict)]
    found = []
    roles = [c.get("role") for c in clients]
    found += [
        f"more than one client with role {r!r}" for r in sorted({r for r in roles if roles.count(r) > 1})
    ]
    ids = [section.get("client_id"), *(c.get("client_id") for c in clients)]
    found += [
        f"client_id {i!r} is used by more than one client"
        for i in sorted({i for i in ids if ids.count(i) > 1})
    ]
    if section.get("client_throttle") and "lockout" not in roles:
        found.append(
            "client_throttle needs a [[ott_idp.clients]] entry with role 'lockout' (the client it may lock)"
        )
    return found


def _operator_problems(section: dict[str, Any]) -> list[str]:
    """How the suite gets the operator-portal token must be complete (suite/device_signon/operator.py)."""
    features = section.get("features") if isinstance(section.get("features"), dict) else {}
    if "portal" not in (features.get("approval") or []) or section.get("operator_token"):
        return []
    if not section.get("operator_client_id"):
        return ["approval 'portal' needs operator_token or operator_client_id (the operator's token)"]
    if section.get("operator_grant") == "password":
        lacking = [k for k in ("operator_username", "operator_password") if not section.get(k)]
        return [f"operator_grant = 'password' needs {' and '.join(lacking)}"] if lacking else []
    if not section.get("operator_client_secret"):
        return ["operator_grant = 'client_credentials' needs operator_client_secret"]
    return []


def _unknown_keys(err: jsonschema.ValidationError) -> list[str]:
    """One line per key the schema does not know, naming its table and the closest known key.

    A misspelt key would otherwise be dropped silently and surface mid-run as a blocked test.
    """
    known = sorted(err.schema.get("properties", {}))
    path = list(err.absolute_path)
    what = f"{_table(path)} unknown key" if path else "unknown top-level key"
    lines = []
    for key in sorted(set(err.instance) - set(known)):
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        lines.append(f"{what} {key!r} ({hint})")
    return lines


def _table(path: list[str | int]) -> str:
    """The TOML table a user edits: ``[device_signon.features]``, ``[device_signon.accounts[0]]``."""
    name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return f"[{name}]"


def with_base_url(profile: Profile, base_url: str) -> Profile:
    """The same profile aimed at another base URL (the embedded server's loopback address)."""
    clone = copy.copy(profile)
    clone.base_url = base_url.rstrip("/")
    return clone
