"""Write a run's files: report.html (self-contained), results.json and junit.xml.

All three read the same :class:`~conformance.results.RunResult`. The HTML page loads nothing from
anywhere (inline CSS, no script, no font or image links), so it opens offline and months later;
everything in it was redacted when it was recorded, and is escaped again here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from conformance import __version__, resources
from conformance.redact import Redactor
from conformance.results import (
    SCHEMA_VERSION,
    STATUSES,
    RunResult,
    add_fuzz,
    write_fuzz_json,
    write_json,
    write_junit,
)

TEMPLATE_DIR = resources.report_templates_dir()


def write_all(directory: Path, run: RunResult, meta: dict[str, Any], redactor: Redactor) -> None:
    # The last redaction pass, in every file: a value learnt late in the run may have been written
    # verbatim into an earlier, unrelated message.
    write_json(directory / "results.json", run, meta, redactor.text)
    write_junit(directory / "junit.xml", run, redactor.text)
    (directory / "report.html").write_text(render_html(run, meta, redactor))


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=jinja2.StrictUndefined
    )


def render_html(run: RunResult, meta: dict[str, Any], redactor: Redactor) -> str:
    env = _env()
    order = {s: i for i, s in enumerate(STATUSES)}
    requirements = sorted(run.requirements, key=lambda r: (order[r.status], r.requirement.id))
    test_ids = {t.nodeid: f"t{i}" for i, t in enumerate(sorted(run.tests, key=lambda t: t.nodeid))}
    # Redact once more at the last moment: a value learnt late in the run (in another test) may
    # have been written verbatim into an earlier, unrelated message.
    clean = redactor.text
    return env.get_template("report.html.j2").render(
        run=run,
        meta=meta,
        requirements=requirements,
        tests=sorted(run.tests, key=lambda t: t.nodeid),
        test_ids=test_ids,
        clean=clean,
        version=__version__,
        statuses=STATUSES,
        run_schema=SCHEMA_VERSION,
    )


# The fuzz section. `conformance run --fuzz` adds it to the files the suite run wrote; a fuzz-only
# run (`conformance fuzz`) writes results.json and report.html with that section alone.
FUZZ_ANCHOR = "</body>"


def render_fuzz_section(fuzz: dict[str, Any], redactor: Redactor) -> str:
    return _env().get_template("fuzz_section.html.j2").render(fuzz=fuzz, clean=redactor.text, link=True)


def add_fuzz_section(directory: Path, fuzz: dict[str, Any], redactor: Redactor) -> None:
    """Add the fuzz section to the results.json and report.html a suite run wrote in ``directory``."""
    add_fuzz(directory / "results.json", fuzz)
    page = directory / "report.html"
    html = page.read_text()
    at = html.rfind(FUZZ_ANCHOR)
    section = render_fuzz_section(fuzz, redactor)
    page.write_text(html[:at] + section + "\n" + html[at:] if at >= 0 else html + section)


def write_fuzz_only(directory: Path, fuzz: dict[str, Any], meta: dict[str, Any], redactor: Redactor) -> None:
    write_fuzz_json(directory / "results.json", fuzz, meta)
    html = (
        _env()
        .get_template("fuzz.html.j2")
        .render(
            fuzz=fuzz,
            meta=meta,
            clean=redactor.text,
            version=__version__,
            run_schema=SCHEMA_VERSION,
        )
    )
    (directory / "report.html").write_text(html)
