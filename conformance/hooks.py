"""A profile's automation hook: the vendor's own command or URL that does what the suite cannot
(sign in on a page it does not know, pass a captcha). One place for how hooks are called, so
every contract's hooks fill placeholders, pass secrets and fail the same way.

Placeholders are filled quoted for their medium (shell words, URL components). A secret goes to a
command through its environment, never its command line, where other users and logs could see it.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from urllib.parse import quote

from conformance.checks import Blocked
from conformance.redact import Redactor

TIMEOUT_S = 60


def url(template: str, values: dict[str, str]) -> str:
    return template.format(**{k: quote(v, safe="") for k, v in values.items()})


def command(
    template: str,
    values: dict[str, str],
    env: dict[str, str],
    redactor: Redactor,
    what: str,
    ok: tuple[int, ...],
) -> int:
    """Run the command; its exit code when in ``ok``, else Blocked with its last stderr line."""
    cmd = template.format(**{k: shlex.quote(v) for k, v in values.items()})
    try:
        done = subprocess.run(  # noqa: S602 - the profile's own command line
            cmd, shell=True, capture_output=True, timeout=TIMEOUT_S, check=False, env={**os.environ, **env}
        )
    except subprocess.TimeoutExpired:
        raise Blocked(f"{what} ran over {TIMEOUT_S} s") from None
    if done.returncode in ok:
        return done.returncode
    last = (done.stderr.decode(errors="replace").strip().splitlines() or [""])[-1]
    raise Blocked(f"{what} exited {done.returncode} {redactor.text(last[:200])}".strip())
