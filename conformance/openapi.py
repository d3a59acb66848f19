"""Validate bodies against the component schemas of the OpenAPI 3.1 documents in schemas/.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so jsonschema validates them directly; a ``$ref``
to ``#/components/schemas/Name`` resolves inside the document it came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any

import jsonschema
import yaml

from conformance import resources


@cache
def document(contract: str) -> dict[str, Any]:
    return yaml.safe_load(resources.schema_path(f"{contract}.openapi.yaml").read_text())


@cache
def _validator(contract: str, name: str) -> jsonschema.Draft202012Validator:
    doc = document(contract)
    if name not in doc.get("components", {}).get("schemas", {}):
        raise KeyError(f"{contract}.openapi.yaml has no components.schemas.{name}")
    schema = {"components": doc["components"], "$ref": f"#/components/schemas/{name}"}
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def errors(contract: str, name: str, body: Any, judged_elsewhere: Iterable[str] = ()) -> list[str]:
    """Every way ``body`` breaks the schema, as short lines (empty when it validates).

    ``judged_elsewhere`` names top-level members a named requirement already judges (presence,
    type or value): their faults are left out, so one fact fails one requirement only.
    """
    skip = set(judged_elsewhere)
    out = []
    for err in sorted(_validator(contract, name).iter_errors(body), key=lambda e: list(e.absolute_path)):
        if _judged(err, skip):
            continue
        where = "/".join(str(p) for p in err.absolute_path) or "(body)"
        out.append(f"{where}: {err.message[:200]}")
    return out


def _judged(err: jsonschema.ValidationError, skip: set[str]) -> bool:
    """Whether ``err`` is only about members in ``skip``."""
    path = list(err.absolute_path)
    if path:
        return path[0] in skip
    if err.validator == "required" and isinstance(err.instance, dict):
        missing = {m for m in err.validator_value if m not in err.instance}
        return bool(missing) and missing <= skip
    return False
