"""Where the kit's own files are: schemas, profiles (with their keys), catalogues, report templates.

``schemas/`` and ``profiles/`` live at the top of the repository (PRODUCT.md's layout), beside the
packages. A wheel cannot ship top-level directories, so setup.py maps them into the package as
``conformance/_data/``: an installed copy finds them there, a checkout (or the editable install
``./kit`` makes) finds them beside the package. Every other module asks here, never ``__file__``.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
_PACKAGED = PACKAGE / "_data"  # a plain `pip install .`
_CHECKOUT = PACKAGE.parent  # the source tree: an editable install or no install at all


def _top_level(name: str) -> Path:
    packaged = _PACKAGED / name
    return packaged if packaged.is_dir() else _CHECKOUT / name


def schemas_dir() -> Path:
    """schemas/: the OpenAPI documents, the profile schema and the header payload schemas."""
    return _top_level("schemas")


def schema_path(name: str) -> Path:
    """A file of schemas/, e.g. ``profile.schema.json`` or ``ott_idp.openapi.yaml``."""
    return schemas_dir() / name


def profiles_dir() -> Path:
    """profiles/: the reference profile, the examples and keys/ (relative key paths start here)."""
    return _top_level("profiles")


def profile_path(name: str) -> Path:
    """A profile shipped with the kit, e.g. ``reference.toml``."""
    return profiles_dir() / name


def catalogue_dir() -> Path:
    """The requirement catalogues, one TOML file per contract."""
    return PACKAGE / "catalogue"


def report_templates_dir() -> Path:
    """The Jinja2 templates of the HTML report."""
    return PACKAGE / "reports"
