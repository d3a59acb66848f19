"""The pytest plugin: the suite as plain pytest (``pytest --profile FILE``) and under the CLI.

It is inert unless ``--profile`` is given or the suite's own directory is collected. Then:

- configure (controller): load and validate the profile (exit 2 on any problem), start the
  embedded reference server when the profile says so (with ``--fault`` injected), pre-flight the
  vendor's endpoints (exit 2 when unreachable), and hand the target to xdist workers;
- collection: keep the tests of the selected contracts; skip a test when none of the
  requirements it declares applies to the profile;
- each test: a fresh evidence list and a :class:`~conformance.results.TestRecord`, sent to the
  controller through ``report.user_properties`` (so ``-n N`` gives the same results);
- session end (controller): one :func:`conformance.results.build`, then report.html,
  results.json and junit.xml, and the exit code from the verdict.

A run that did not execute every test of the profile's contracts (``--contract`` narrowing them,
``-k``/``-m``/``--deselect``, node ids or paths on the command line, a run stopped early) is
told to :func:`~conformance.results.build` as its ``selection``: the verdict is then PARTIAL at
best. A test stopped by a fatal check, or by ``Blocked(..., by=REQ)``, leaves the requirements
it declares and did not check BLOCKED by that requirement; a test skipped because its wait is too
long (``NotAwaited``, or a skip that says "use --include-slow") leaves them "not awaited".
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance import catalogue, preflight
from conformance.checks import Blocked, Checker, CheckFailed, NotAwaited, SuiteDefect
from conformance.http import HarnessError, Http
from conformance.profile import REFERENCE_PROFILE, Profile, ProfileError, load, with_base_url
from conformance.redact import Redactor
from conformance.results import EXIT_HARNESS, EXIT_PREFLIGHT, TestRecord, build, exit_code

SUITE_DIR = Path(__file__).parent / "suite"
RECORD_KEY = "ott_conformance_record"
_record_key = pytest.StashKey[TestRecord]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("ott-conformance", "OTT sign-in conformance suite")
    group.addoption("--profile", help="vendor profile (TOML); default: the embedded reference server")
    group.addoption(
        "--contract", action="append", default=[], help="contract to test (repeatable); default: profile's"
    )
    group.addoption("--report-dir", default="reports/latest", help="where report.html etc. are written")
    group.addoption("--fault", action="append", default=[], help="fault injected into the embedded server")
    group.addoption(
        "--variant", action="append", default=[], help="conforming variant the embedded server serves"
    )
    group.addoption(
        "--include-slow", action="store_true", help="also run tests that must outwait long vendor timings"
    )
    group.addoption("--no-preflight", action="store_true", help="skip the pre-flight (doctor) checks")
    group.addoption("--target-url", help="base URL of an already running reference server (selftest)")


class Run:
    """Everything one suite run shares, in the controller and in each xdist worker."""

    def __init__(self, config: pytest.Config, profile: Profile, salt: bytes, contracts: list[str]):
        self.config = config
        self.profile = profile
        self.salt = salt
        self.contracts = contracts
        self.redactor = Redactor(salt, profile.secrets)
        self.http = Http(self.redactor, profile.timeout)
        self.server: Any = None
        self.records: list[TestRecord] = []
        self.started_at = datetime.now(UTC)
        self.started = time.perf_counter()
        self.result: Any = None
        self.report_dir = Path(config.getoption("report_dir"))
        self.collect_errors = 0
        self.deselected = 0  # tests of the run's contracts that -k, -m, --deselect... left out
        self.collected: int | None = None  # tests selected to run (None: collected elsewhere)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # A hook on the run, not the module: only a suite run counts its collection errors.
        if report.failed:
            self.collect_errors += 1

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        # The plugin's own drop of other contracts' tests is not a partial run; anything else is.
        self.deselected += sum(1 for item in items if _contract_of(item) in self.contracts)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.collected = len(session.items)

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        output = getattr(self.config, "workeroutput", None)
        if output is not None:  # an xdist worker: the controller collects nothing itself
            output["ott_selection"] = {"deselected": self.deselected, "collected": self.collected}

    @property
    def is_controller(self) -> bool:
        return not hasattr(self.config, "workerinput")


def _active(config: pytest.Config) -> bool:
    if config.getoption("profile") or config.getoption("target_url"):
        return True
    suite = str(SUITE_DIR)
    return any(str(Path(a.split("::")[0]).resolve()).startswith(suite) for a in config.args)


def _fail_early(message: str, code: int = EXIT_PREFLIGHT) -> None:
    # One line, no traceback: pytest.exit prints the message and uses the return code.
    pytest.exit(f"conformance: {message}", returncode=code)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "requirement(*ids): the catalogue requirements a test checks")
    config.addinivalue_line("markers", "slow_wait: outwaits a vendor timing; runs with --include-slow")
    if not _active(config):
        return
    if config.getoption("profile") and config.args_source != pytest.Config.ArgsSource.ARGS:
        config.args = [str(SUITE_DIR)]  # `pytest --profile F` runs the suite, not the project's tests
    worker = getattr(config, "workerinput", None)
    profile_path = (
        worker["ott_profile"] if worker else (config.getoption("profile") or str(REFERENCE_PROFILE))
    )
    try:
        profile = load(profile_path)
        contracts = _contracts(config, profile)
        profile.data = _with_variants(profile.data, config.getoption("variant"))
    except (ProfileError, catalogue.CatalogueError) as exc:
        _fail_early(str(exc))
    salt = bytes.fromhex(worker["ott_salt"]) if worker else secrets.token_bytes(16)
    run = Run(config, profile, salt, contracts)
    config.stash[_run_key] = run
    config.pluginmanager.register(run)
    if worker:
        run.profile = with_base_url(profile, worker["ott_base_url"])
        return
    faults = config.getoption("fault")
    target_url = config.getoption("target_url")
    if config.option.collectonly:
        return  # listing tests: no target, no reports
    if target_url:
        run.profile = with_base_url(profile, target_url)
    elif profile.embedded:
        run.server = _start_embedded(profile, faults, config.getoption("variant"))
        run.profile = with_base_url(profile, run.server.url)
    elif faults:
        _fail_early("--fault applies to the embedded reference server only (the profile names a vendor)")
    elif config.getoption("variant"):
        _fail_early("--variant applies to the embedded reference server only (the profile names a vendor)")
    if not run.server:
        # `conformance run` did the full pre-flight already (and passes --no-preflight); a selftest's
        # target carries faults on purpose, so only reachability is asked of it.
        if target_url or config.getoption("no_preflight"):
            problems = preflight.reachability(run.profile, contracts)
        else:
            problems = preflight.check(run.profile, contracts).problems
        if problems:
            _fail_early(
                "pre-flight failed, nothing was tested:\n" + "\n".join(f"conformance: {p}" for p in problems)
            )
    config.pluginmanager.register(_Controller(run), "ott_conformance_controller")


_run_key = pytest.StashKey[Run]()


def _contracts(config: pytest.Config, profile: Profile) -> list[str]:
    wanted = config.getoption("contract") or profile.contracts
    known = catalogue.available()
    for c in wanted:
        if c not in catalogue.CONTRACTS:
            raise ProfileError(f"unknown contract {c!r} (known: {', '.join(catalogue.CONTRACTS)})")
        if c not in known:
            raise ProfileError(f"contract {c!r} has no catalogue in this version of the suite")
        if c not in profile.data:
            raise ProfileError(f"profile {profile.path.name} has no [{c}] section")
    if not wanted:
        raise ProfileError(f"profile {profile.path.name} names no contract ([target] contracts)")
    return list(dict.fromkeys(wanted))


def _with_variants(data: dict[str, Any], variants: list[str]) -> dict[str, Any]:
    """The profile as a server serving these variants must be described (their paths, features)."""
    if not variants:
        return data
    from reference_server.variants import UnknownVariant, patch_profile

    try:
        return patch_profile(data, variants)
    except UnknownVariant as exc:
        raise ProfileError(str(exc)) from None


def _start_embedded(profile: Profile, faults: list[str], variants: list[str] = ()) -> Any:
    from reference_server.faults import UnknownFault
    from reference_server.server import EmbeddedServer

    try:
        server = EmbeddedServer(profile.data, faults, variants=variants)
    except UnknownFault as exc:
        _fail_early(str(exc))
    server.start()
    return server


class _Controller:
    """Hooks that only the controller runs (the process that writes the reports)."""

    def __init__(self, run: Run) -> None:
        self.run = run

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:  # xdist: tell each worker where the target is
        node.workerinput["ott_profile"] = str(self.run.profile.path)
        node.workerinput["ott_salt"] = self.run.salt.hex()
        node.workerinput["ott_base_url"] = self.run.profile.base_url

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:  # xdist: what each worker selected
        seen = getattr(node, "workeroutput", {}).get("ott_selection")
        if not seen:
            return
        run = self.run
        run.deselected = max(run.deselected, int(seen.get("deselected") or 0))
        if seen.get("collected") is not None:
            run.collected = max(run.collected or 0, int(seen["collected"]))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when != "teardown":
            return
        for key, value in report.user_properties:
            if key == RECORD_KEY:
                self.run.records.append(TestRecord.from_dict(value))

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from conformance import report

        run = self.run
        if run.server:
            run.server.stop()
        run.http.close()
        harness = []
        if session.testsfailed and not run.records and exitstatus not in (0, 1):
            harness.append(f"pytest ended with status {int(exitstatus)} before any test ran")
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            harness.append("run interrupted")
        if run.collect_errors:
            harness.append("the suite could not be collected (see the errors above)")
        requirements = [r for c in run.contracts for r in catalogue.load(c).requirements.values()]
        features = {c: run.profile.features(c) for c in run.contracts}
        claims = {c: _claims(run.profile, c) for c in run.contracts}
        run.result = build(requirements, run.records, features, claims, harness, _selection(session, run))
        meta = {
            "started_at": run.started_at.isoformat(timespec="seconds"),
            "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.perf_counter() - run.started, 3),
            "profile": {"name": run.profile.name, "sha256": run.profile.fingerprint()},
            "target": "embedded reference server"
            if run.server
            else run.redactor.url(run.profile.base_url or ""),
            "contracts": run.contracts,
            "faults": session.config.getoption("fault"),
            "variants": session.config.getoption("variant"),
            "workers": _workers(session.config),
        }
        run.report_dir.mkdir(parents=True, exist_ok=True)
        report.write_all(run.report_dir, run.result, meta, run.redactor)
        session.exitstatus = EXIT_HARNESS if harness else exit_code(run.result)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        result = self.run.result
        if result is None:
            return
        tr = terminalreporter
        tr.section("conformance")
        bad = [r for r in result.requirements if r.status in ("FAIL", "ERROR", "BLOCKED")]
        bad.sort(key=lambda r: ("FAIL", "ERROR", "BLOCKED").index(r.status))
        clean = self.run.redactor.text  # again at the last moment, as the report: a CI log is kept too
        for r in bad[:15]:
            tr.write_line(f"{r.status:7} {r.requirement.id} [{r.level}] {clean(r.message)[:160]}")
        if len(bad) > 15:
            tr.write_line(f"... and {len(bad) - 15} more (see the report)")
        counts = " ".join(f"{k}={v}" for k, v in result.counts.items())
        tr.write_line(f"requirements: {len(result.requirements)}  {counts}")
        for err in result.harness_errors:
            tr.write_line(f"harness: {clean(err)}")
        for p in result.partial:
            tr.write_line(f"partial: {p['reason']}")
        for note in result.notes:
            tr.write_line(f"note: {note}")
        tr.write_line(f"verdict: {result.verdict}", bold=True, red=result.verdict != "CONFORMANT")
        tr.write_line(f"report: {(self.run.report_dir / 'report.html').resolve()}")


def _covers(arg: Path, target: Path) -> bool:
    return arg == target or arg in target.parents


def _selection(session: pytest.Session, run: Run) -> list[dict[str, str]]:
    """Why this run did not execute every test of the profile's contracts ([] when it did)."""
    config = session.config
    reasons = []
    left_out = [c for c in run.profile.contracts if c not in run.contracts]
    if left_out:
        reasons.append(
            {
                "kind": "contracts",
                "reason": f"only {', '.join(run.contracts)} of the profile's contracts ran (--contract); "
                f"not run: {', '.join(left_out)}",
            }
        )
    base = Path(config.invocation_params.dir)
    paths = [(base / a).resolve() for a in config.args if "::" not in a]
    narrowed = [c for c in run.contracts if not any(_covers(p, (SUITE_DIR / c).resolve()) for p in paths)]
    if narrowed:
        reasons.append(
            {
                "kind": "selection",
                "reason": f"only the tests named on the command line ran ({len(config.args)} path(s) or "
                f"node id(s)), not every test of {', '.join(narrowed)}",
            }
        )
    if config.getoption("lf", default=False):
        reasons.append(
            {"kind": "selection", "reason": "--last-failed runs only the tests that failed before"}
        )
    if run.deselected:
        reasons.append(
            {
                "kind": "deselected",
                "reason": f"{run.deselected} test(s) of {', '.join(run.contracts)} were deselected "
                "(-k, -m, --deselect or a plugin)",
            }
        )
    ran = len({r.nodeid for r in run.records})
    if run.collected is not None and ran < run.collected:
        reasons.append(
            {
                "kind": "not_run",
                "reason": f"{run.collected - ran} of {run.collected} selected test(s) did not run "
                "(the run stopped early: -x, --maxfail or a crash)",
            }
        )
    return reasons


def _claims(profile: Profile, contract: str) -> set[str] | str:
    claimed = profile.section(contract).get("claims", [])
    return "*" if "*" in claimed else set(claimed)


def _workers(config: pytest.Config) -> int:
    n = config.getoption("numprocesses", default=None) if config.pluginmanager.hasplugin("xdist") else None
    return int(n or 0)


# Collection and per-test hooks (controller without xdist, or each worker).


def _run(config: pytest.Config) -> Run | None:
    return config.stash.get(_run_key, None)


def _contract_of(item: pytest.Item) -> str:
    try:
        return Path(str(item.path)).resolve().relative_to(SUITE_DIR).parts[0]
    except ValueError:
        return ""


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    run = _run(config)
    if run is None:
        return
    keep, drop = [], []
    for item in items:
        contract = _contract_of(item)
        if contract not in run.contracts:
            drop.append(item)
            continue
        keep.append(item)
        ids = _declared(item)
        if not ids:
            _fail_early(f"suite defect: {item.nodeid} declares no requirement", EXIT_HARNESS)
        known = catalogue.load(contract).requirements
        unknown = [i for i in ids if i not in known]
        if unknown:
            _fail_early(
                f"suite defect: {item.nodeid} declares unknown requirement {unknown[0]}", EXIT_HARNESS
            )
        features = run.profile.features(contract)
        reasons = [catalogue.applies(known[i], features) for i in ids]
        if not any(ok for ok, _ in reasons):
            item.add_marker(pytest.mark.skip(reason=f"not applicable: {reasons[0][1]}"))
        elif item.get_closest_marker("slow_wait") and not config.getoption("include_slow"):
            item.add_marker(pytest.mark.skip(reason="outwaits a long vendor timing; use --include-slow"))
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _stable_id(item: pytest.Item) -> str:
    """The test's id relative to the suite, whatever rootdir pytest chose (CLI and plain pytest agree)."""
    relative = Path(str(item.path)).resolve().relative_to(SUITE_DIR).as_posix()
    return relative + "::" + item.nodeid.split("::", 1)[1]


def _declared(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for mark in item.iter_markers("requirement"):
        ids.extend(mark.args)
    return list(dict.fromkeys(ids))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    run = _run(item.config)
    if run is None or not _contract_of(item):
        return
    item.stash[_record_key] = TestRecord(_stable_id(item), _contract_of(item), _declared(item))
    run.http.start_test()


def _unchecked(record: TestRecord) -> list[str]:
    """The requirements the test declares that it has not checked nor said anything about yet."""
    said = {c.requirement for c in record.checks} | set(record.unreached) | set(record.blocked_by)
    return [r for r in record.requirements if r not in said and r not in record.not_awaited]


def _mark_blocked(record: TestRecord, by: str) -> None:
    """The test stopped at ``by`` (a fatal check, or a Blocked precondition): what it did not reach
    is BLOCKED by that requirement (kept only when ``by`` is FAIL or WARN in this run)."""
    record.blocker = by
    for rid in _unchecked(record):
        if rid != by:
            record.blocked_by[rid] = by


WAIT_IN_REASON = re.compile(r"(\d+(?:\.\d+)?)\s?s\b")


def _mark_not_awaited(record: TestRecord, wait_s: float | None, why: str) -> None:
    for rid in _unchecked(record):
        record.not_awaited[rid] = [None if wait_s is None else round(float(wait_s), 1), why]


def _note_slow_skip(record: TestRecord) -> None:
    """A wait gate that skips (``pytest.skip("... (630s) is not awaited (use --include-slow)")``, or
    the slow_wait marker): what the test did not check is "not awaited", with the wait if stated."""
    if "--include-slow" in record.skip_reason and not record.not_awaited:
        found = WAIT_IN_REASON.search(record.skip_reason)
        _mark_not_awaited(record, float(found.group(1)) if found else None, record.skip_reason)


def _classify(record: TestRecord, exc: BaseException, redactor: Redactor) -> None:
    """Say why a test stopped: a fatal check, a precondition the vendor broke, a wait too long to
    await, the harness (network, profile), or a crash."""
    if isinstance(exc, NotAwaited):
        record.skip_reason = redactor.text(str(exc))
        _mark_not_awaited(record, exc.wait_s, redactor.text(str(exc.what)))
        return
    if isinstance(exc, CheckFailed):
        if record.blocker:  # a fatal check: the rest of the test is blocked by its requirement
            _mark_blocked(record, record.blocker)
        return
    if isinstance(exc, pytest.skip.Exception):
        return
    if isinstance(exc, Blocked):
        record.stopped_by = f"precondition: {redactor.text(str(exc))}"
        if exc.by:
            _mark_blocked(record, exc.by)
    elif isinstance(exc, HarnessError):
        record.error = redactor.text(str(exc))
    elif isinstance(exc, SuiteDefect):
        record.error = f"suite defect: {redactor.text(str(exc))}"
    elif isinstance(exc, AssertionError):
        record.error = f"suite defect: bare assertion failed: {redactor.text(str(exc))[:300]}"
    else:
        record.error = f"test crashed: {type(exc).__name__}: {redactor.text(str(exc))[:300]}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    run = _run(item.config)
    record = item.stash.get(_record_key, None)
    if run is None or record is None:
        return (yield)
    try:
        result = yield
    except BaseException as exc:
        _classify(record, exc, run.redactor)
        raise
    failed = [c for c in record.checks if not c.ok]
    if failed:
        lines = "; ".join(f"{c.requirement}: {c.message}" for c in failed)
        raise CheckFailed(f"{len(failed)} check(s) failed: {lines}")
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    report: pytest.TestReport = yield
    run = _run(item.config)
    record = item.stash.get(_record_key, None)
    if run is None or record is None:
        return report
    if call.excinfo is not None and call.when == "setup":
        _classify(record, call.excinfo.value, run.redactor)
    if report.skipped and call.when in ("setup", "call"):
        record.outcome = "skipped"
        record.skip_reason = record.skip_reason or _skip_reason(report)
        _note_slow_skip(record)
    elif report.failed:
        record.outcome = "failed" if call.when == "call" and not record.error else "error"
    record.duration_s += report.duration
    if call.when == "teardown":
        record.exchanges = run.http.evidence.exchanges
        report.user_properties.append((RECORD_KEY, _as_dict(record)))
    return report


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ").removeprefix("conformance.checks.NotAwaited: ")
    return "skipped"


def _as_dict(record: TestRecord) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(record)


# Fixtures available to every test of the suite.


@pytest.fixture(scope="session")
def run(request: pytest.FixtureRequest) -> Run:
    current = _run(request.config)
    if current is None:
        pytest.skip("the conformance plugin is not active (no --profile)")
    return current


@pytest.fixture(scope="session")
def profile(run: Run) -> Profile:
    return run.profile


@pytest.fixture(scope="session")
def http(run: Run) -> Http:
    return run.http


@pytest.fixture
def check(request: pytest.FixtureRequest, run: Run) -> Checker:
    record = request.node.stash.get(_record_key, None)
    if record is None:
        raise SuiteDefect(f"{request.node.nodeid}: the check fixture is only for tests of the suite")
    return Checker(record, run.redactor)


@pytest.fixture(scope="session")
def redactor(run: Run) -> Redactor:
    return run.redactor
