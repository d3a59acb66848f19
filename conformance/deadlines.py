"""Deadlines a vendor advertised, read against the suite's own clock: time is never the vendor's fault.

A vendor says a code lives ``expires_in`` seconds. The suite cannot know when the vendor's clock
started, only that it was between the moment the issuing request was sent and the moment its
answer came back; and a later request reached the vendor somewhere between its own send and
answer. So, on the suite's monotonic clock:

- the code was *certainly valid* for a request whose answer came back before the earliest possible
  expiry (``issued_sent + lifetime - slack``): an "expired" answer to it is the vendor's fault;
- it had *certainly expired* for a request sent after the latest possible expiry
  (``issued_received + lifetime + slack``): accepting it is the vendor's fault;
- in between the suite cannot tell, and judges nothing: either answer is right.

``slack`` absorbs a vendor that keeps its clock in whole seconds. A flow that needed a code valid
and got there too late (a loaded machine, a slow browser) raises :class:`Outrun`: the suite was too
slow, an ERROR, never a FAIL. :func:`retried` gives such a flow one more go from scratch (with fresh
codes) before it is reported.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from conformance.http import HarnessError

T = TypeVar("T")
MAX_SLACK_S = 1.0  # a vendor keeping expiry in whole seconds is up to this far off either way
SLACK_SHARE = 0.1  # ... but never more than this share of a short lifetime


def now() -> float:
    """The suite's clock for deadlines (monotonic: a wall-clock step must not expire anything)."""
    return time.monotonic()


class Outrun(HarnessError):
    """A flow needed a code still valid, and the suite got there too late: its own slowness (ERROR)."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"the suite was too slow: {detail}")
        self.detail = detail

    def again(self, second: Outrun) -> Outrun:
        """The report of a flow that outran its lifetime twice: on this try and on the retry."""
        return Outrun(f"{second.detail} (retried once with a fresh code; first try: {self.detail})")


@dataclass(frozen=True)
class Deadline:
    """When something the vendor issued stops being valid, as far as the suite can know."""

    issued_sent: float  # the issuing request left the suite (now())
    issued_received: float  # its answer came back
    lifetime: float  # seconds, as advertised (expires_in, expiresAfterMillis, notAfter - notBefore...)
    what: str = "the code"

    @property
    def slack(self) -> float:
        return min(MAX_SLACK_S, SLACK_SHARE * self.lifetime)

    @property
    def valid_until(self) -> float:
        """Before this instant the vendor cannot have expired it."""
        return self.issued_sent + self.lifetime - self.slack

    @property
    def expired_from(self) -> float:
        """From this instant the vendor must have expired it."""
        return self.issued_received + self.lifetime + self.slack

    def certainly_valid_at(self, t: float) -> bool:
        return t < self.valid_until

    def certainly_expired_at(self, t: float) -> bool:
        return t > self.expired_from

    def judge(self, sent: float, received: float) -> str:
        """``valid``, ``expired`` or ``undecided`` for a request sent and answered at these instants."""
        if self.certainly_valid_at(received):
            return "valid"
        if self.certainly_expired_at(sent):
            return "expired"
        return "undecided"

    def at(self, t: float) -> float:
        """Seconds of the lifetime that had passed at ``t`` (counted from the issuing request)."""
        return t - self.issued_sent

    def outran(self, doing: str, received: float) -> Outrun:
        """The error for a flow that needed it valid and got an answer at ``received``."""
        return Outrun(
            f"{doing} answered {self.at(received):.1f}s after {self.what} was issued, "
            f"past its advertised {self.lifetime:g}s lifetime (less {self.slack:.2g}s of clock slack)"
        )

    def require_valid(self, doing: str, received: float) -> None:
        """Raise :class:`Outrun` unless the answer at ``received`` certainly found it valid."""
        if not self.certainly_valid_at(received):
            raise self.outran(doing, received)


class Registry:
    """The deadlines of the codes and tokens a vendor issued in this run, by value (thread-safe).

    Codes are looked up as a user types them (case, dashes and spaces do not matter).
    """

    def __init__(self) -> None:
        self._by_value: dict[str, Deadline] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(value: str) -> str:
        return "".join(c for c in value if c.isalnum()).upper()

    def add(self, value: Any, deadline: Deadline) -> None:
        if isinstance(value, str) and value:
            with self._lock:
                self._by_value[self._key(value)] = deadline

    def of(self, value: Any) -> Deadline | None:
        if not isinstance(value, str) or not value:
            return None
        with self._lock:
            return self._by_value.get(self._key(value))


class Stamps:
    """When each answer's request was sent and its answer received, kept beside the answer object."""

    def __init__(self) -> None:
        self._times: weakref.WeakKeyDictionary[Any, tuple[float, float]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def call(self, request: Callable[[], T]) -> T:
        sent = now()
        answer = request()
        with self._lock:
            self._times[answer] = (sent, now())
        return answer

    def of(self, answer: Any) -> tuple[float, float]:
        """(sent, received); an answer the suite did not time counts as sent and received now."""
        with self._lock:
            got = self._times.get(answer)
        return got if got is not None else (now(), now())


def retried(flow: Callable[[], T], checks: list[Any] | None = None) -> T:
    """Run ``flow``; if it outran a lifetime, once more from scratch, then report :class:`Outrun`.

    ``checks`` (the test's recorded checks) forgets what the outrun attempt recorded: that attempt
    is not evidence of anything but the suite's slowness (its exchanges stay in the evidence).
    """
    mark = len(checks) if checks is not None else 0
    try:
        return flow()
    except Outrun as first:
        if checks is not None:
            del checks[mark:]
        try:
            return flow()
        except Outrun as second:
            raise first.again(second) from None
