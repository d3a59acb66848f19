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
from conformance.results import SCHEMA_VERSION, STATUSES, RunResult, write_json, write_junit

TEMPLATE_DIR = resources.report_templates_dir()


def write_all(directory: Path, run: RunResult, meta: dict[str, Any], redactor: Redactor) -> None:
    write_json(directory / "results.json", run, meta)
    write_junit(directory / "junit.xml", run)
    (directory / "report.html").write_text(render_html(run, meta, redactor))


def render_html(run: RunResult, meta: dict[str, Any], redactor: Redactor) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, undefined=jinja2.StrictUndefined
    )
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
