"""Packaging that pyproject.toml cannot express: schemas/ and profiles/ stay at the top of the
repository (PRODUCT.md's layout) and ship inside the package as conformance/_data/, so a plain
`pip install .` carries them; conformance/resources.py finds them in either place."""

from setuptools import find_namespace_packages, setup

DATA = {"conformance._data.schemas": "schemas", "conformance._data.profiles": "profiles"}


def _with_subdirectories(package: str, directory: str) -> list[str]:
    return [package, *(f"{package}.{sub}" for sub in find_namespace_packages(where=directory))]


setup(
    packages=[
        *find_namespace_packages(include=["conformance*", "reference_server*"], exclude=["*.__pycache__"]),
        *(p for package, directory in DATA.items() for p in _with_subdirectories(package, directory)),
    ],
    package_dir=DATA,
)
