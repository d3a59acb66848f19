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
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance import catalogue, preflight
from conformance.checks import Blocked, Checker, CheckFailed, SuiteDefect
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
        "--include-slow", action="store_true", help="also run tests that must outwait long vendor timings"
    )
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

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # A hook on the run, not the module: only a suite run counts its collection errors.
        if report.failed:
            self.collect_errors += 1

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
        run.server = _start_embedded(profile, faults)
        run.profile = with_base_url(profile, run.server.url)
    elif faults:
        _fail_early("--fault applies to the embedded reference server only (the profile names a vendor)")
    if not run.server:
        problems = preflight.reachability(run.profile, contracts)
        if problems:
            _fail_early(f"pre-flight failed, nothing was tested: {problems[0]}")
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


def _start_embedded(profile: Profile, faults: list[str]) -> Any:
    from reference_server.faults import UnknownFault
    from reference_server.server import EmbeddedServer

    try:
        server = EmbeddedServer(profile.data, faults)
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
        run.result = build(requirements, run.records, features, claims, harness)
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
        shown = [r for r in result.requirements if r.status in ("FAIL", "ERROR")][:15]
        for r in shown:
            tr.write_line(f"{r.status:5} {r.requirement.id} [{r.level}] {r.message[:160]}")
        more = sum(r.status in ("FAIL", "ERROR") for r in result.requirements) - len(shown)
        if more > 0:
            tr.write_line(f"... and {more} more (see the report)")
        counts = " ".join(f"{k}={v}" for k, v in result.counts.items())
        tr.write_line(f"requirements: {len(result.requirements)}  {counts}")
        for err in result.harness_errors:
            tr.write_line(f"harness: {err}")
        tr.write_line(f"verdict: {result.verdict}", bold=True, red=result.verdict != "CONFORMANT")
        tr.write_line(f"report: {(self.run.report_dir / 'report.html').resolve()}")


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


def _classify(record: TestRecord, exc: BaseException, redactor: Redactor) -> None:
    """Say why a test stopped: a fatal check, the harness (network, profile), or a crash."""
    if isinstance(exc, CheckFailed | pytest.skip.Exception):
        return
    if isinstance(exc, Blocked):
        record.stopped_by = f"precondition: {redactor.text(str(exc))}"
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
        record.skip_reason = _skip_reason(report)
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
        return str(longrepr[2]).removeprefix("Skipped: ")
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
