"""Deadline arithmetic (conformance/deadlines.py): an answer is judged only when the suite's own
clock proves the vendor wrong; the undecided window in between is never blamed on the vendor."""

import pytest

from conformance.deadlines import Deadline, Outrun, Registry, Stamps, retried
from conformance.http import HarnessError

# Issued by a request sent at t=100 and answered at t=101, advertised to live 10 s: slack 1 s.
CODE = Deadline(issued_sent=100.0, issued_received=101.0, lifetime=10.0)


def test_valid_expired_and_undecided_windows():
    assert CODE.slack == 1.0
    assert CODE.judge(sent=105, received=108.9) == "valid"  # answered before 100 + 10 - 1
    assert CODE.judge(sent=112.1, received=112.2) == "expired"  # sent after 101 + 10 + 1
    # Between the two, either answer is right: the vendor's clock may have started anywhere.
    assert CODE.judge(sent=108, received=109.5) == "undecided"
    assert CODE.judge(sent=111.5, received=112.5) == "undecided"


def test_slack_is_a_share_of_short_lifetimes():
    short = Deadline(0.0, 0.0, 2.0)
    assert short.slack == pytest.approx(0.2)
    assert Deadline(0.0, 0.0, 600.0).slack == 1.0


def test_require_valid_raises_outrun_which_is_harness_trouble():
    CODE.require_valid("the approval", received=108.0)
    with pytest.raises(Outrun) as caught:
        CODE.require_valid("the approval", received=109.5)
    assert isinstance(caught.value, HarnessError)
    assert str(caught.value).startswith("the suite was too slow: the approval answered 9.5s after")


def test_retried_runs_once_more_and_forgets_the_outrun_attempts_checks():
    checks = ["earlier"]
    tries = []

    def flow():
        tries.append(1)
        checks.append("from this try")
        if len(tries) == 1:
            raise Outrun("first")
        return "ok"

    assert retried(flow, checks) == "ok"
    assert len(tries) == 2 and checks == ["earlier", "from this try"]


def test_retried_reports_both_tries_when_the_retry_outruns_too():
    def flow():
        raise Outrun("slow browser")

    with pytest.raises(Outrun, match=r"retried once with a fresh code; first try: slow browser"):
        retried(flow)


def test_registry_finds_codes_as_a_user_types_them():
    reg = Registry()
    reg.add("ABCD-1234", CODE)
    assert reg.of("abcd1234") is CODE and reg.of("ab cd-12 34") is CODE
    assert reg.of("ABCD-1235") is None and reg.of(None) is None and reg.of("") is None


def test_stamps_keep_send_and_receive_times_beside_the_answer():
    stamps = Stamps()

    class Answer:
        pass

    answer = stamps.call(Answer)
    sent, received = stamps.of(answer)
    assert sent <= received
    untimed_sent, untimed_received = stamps.of(Answer())
    assert untimed_sent >= received  # an untimed answer counts as sent now
