"""HTML pages of the reference server: Jinja2 templates in ``<contract>/templates/``, autoescaped."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


@cache
def _environment(contract: str) -> Environment:
    return Environment(
        loader=PackageLoader(f"reference_server.{contract}", "templates"),
        autoescape=select_autoescape(default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(contract: str, name: str, **context: Any) -> str:
    return _environment(contract).get_template(name).render(**context)
