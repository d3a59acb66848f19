"""`conformance`: run the suite, serve the reference server, list faults and requirements, check a profile.

Exit codes (PRODUCT.md): 0 conformant · 1 non-conformant · 2 profile or pre-flight error ·
3 incomplete or partial run (harness trouble, or not every applicable requirement was evaluated).
"""

from __future__ import annotations

import sys
import time

import click

from conformance import __version__, catalogue, preflight, runner, spec_rules
from conformance.profile import REFERENCE_PROFILE, ProfileError, load, problems, with_base_url
from conformance.results import EXIT_HARNESS, EXIT_PREFLIGHT


def _die(message: str, code: int = EXIT_PREFLIGHT) -> None:
    click.echo(f"conformance: {message}", err=True)
    sys.exit(code)


def _check_contracts(contracts: tuple[str, ...]) -> None:
    for c in contracts:
        if c not in catalogue.CONTRACTS:
            _die(f"unknown contract {c!r} (known: {', '.join(catalogue.CONTRACTS)})")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="conformance")
def main() -> None:
    """Conformance kit for OTT sign-in contracts."""


@main.command()
@click.option(
    "--profile", type=click.Path(dir_okay=False), help="Vendor profile; default: embedded reference server."
)
@click.option("--contract", "contracts", multiple=True, help="Contract to test (repeatable).")
@click.option(
    "--report-dir", default="reports/latest", show_default=True, help="Where the reports are written."
)
@click.option(
    "--fault", "faults", multiple=True, help="Fault injected into the embedded server (repeatable)."
)
@click.option(
    "--variant",
    "variants",
    multiple=True,
    help="Conforming variant the embedded server serves (repeatable; see `conformance variants`).",
)
@click.option(
    "-n", "--workers", type=click.IntRange(0, 64), default=0, help="Parallel workers (pytest-xdist)."
)
@click.option("--include-slow", is_flag=True, help="Also run tests that outwait long vendor timings.")
@click.option("-v", "--verbose", is_flag=True, help="One line per test instead of progress dots.")
@click.option(
    "--no-preflight",
    is_flag=True,
    help="Skip the pre-flight (`doctor`) and test even a target the profile cannot sign in to.",
)
@click.option(
    "--fuzz",
    "fuzz_too",
    is_flag=True,
    help="Also fuzz the target with Schemathesis (see `conformance fuzz`); adds a fuzz section.",
)
@click.option(
    "--max-examples",
    type=click.IntRange(1, 10_000),
    default=None,
    help="With --fuzz: generated cases per operation and phase.",
)
@click.option("--seed", type=int, default=None, help="With --fuzz: the generator's seed.")
def run(
    profile,
    contracts,
    report_dir,
    faults,
    variants,
    workers,
    include_slow,
    verbose,
    no_preflight,
    fuzz_too,
    max_examples,
    seed,
) -> None:
    """Run the suite and write report.html, results.json and junit.xml (after a pre-flight).

    With --fuzz, the target is fuzzed afterwards and the findings are added to results.json and
    report.html (a `fuzz` section); the verdict and the exit code stay the suite's."""
    _check_contracts(contracts)
    path = profile or str(REFERENCE_PROFILE)
    found = problems(path)
    for line in found[:-1]:  # every problem, so one edit fixes them all; _die exits after the last
        click.echo(f"conformance: {line}", err=True)
    if found:
        _die(found[-1])
    loaded = load(path)
    if faults and not loaded.embedded:
        _die("--fault applies to the embedded reference server only (the profile names a vendor)")
    if faults:
        from reference_server.faults import load_all

        unknown = [f for f in faults if f not in load_all()]
        if unknown:
            _die(f"unknown fault {unknown[0]!r} (see `conformance faults`)")
    if variants:
        _check_variants(variants, loaded.embedded)
    if not no_preflight:
        _refuse_unusable(loaded, [c for c in contracts or loaded.contracts if c in loaded.data])
    if (max_examples is not None or seed is not None) and not fuzz_too:
        _die("--max-examples and --seed apply to --fuzz only")
    args = runner.suite_args(
        path, contracts, report_dir, faults, workers, include_slow, verbose=verbose, variants=variants
    )
    code = runner.run(args)
    if fuzz_too:
        _fuzz_after_run(loaded, contracts, report_dir, faults, max_examples, seed)
    sys.exit(code)


def _fuzz_after_run(loaded, contracts, report_dir, faults, max_examples, seed) -> None:
    from pathlib import Path

    from conformance import report

    directory = Path(report_dir)
    if not (directory / "results.json").is_file() or not (directory / "report.html").is_file():
        click.echo("conformance: the suite wrote no report; the fuzzer did not run", err=True)
        return
    wanted = [c for c in contracts or loaded.contracts if c in loaded.data]
    result, redactor, _ = _fuzz(loaded, wanted, faults, max_examples, seed)
    report.add_fuzz_section(directory, result.to_json(), redactor)
    click.echo(f"fuzz: {result.failures} failure(s), {len(result.findings)} finding(s); see the fuzz section")


def _fuzz(loaded, contracts, faults, max_examples, seed):
    """Fuzz ``contracts`` of the loaded profile: (FuzzResult, Redactor, target label)."""
    import secrets

    from conformance import fuzz
    from conformance.redact import Redactor

    redactor = Redactor(secrets.token_bytes(16), loaded.secrets)
    try:
        with fuzz.target(loaded, faults) as (aimed, label):
            result = fuzz.run(
                aimed,
                contracts,
                redactor,
                seed=fuzz.DEFAULT_SEED if seed is None else seed,
                max_examples=max_examples or fuzz.DEFAULT_MAX_EXAMPLES,
                progress=lambda line: click.echo(line, err=True),
            )
    except (RuntimeError, ValueError) as exc:  # the embedded server did not start: the harness
        _die(f"fuzz: {redactor.text(str(exc))}", EXIT_HARNESS)
    return result, redactor, label


@main.command(name="fuzz")
@click.option(
    "--profile", type=click.Path(dir_okay=False), help="Vendor profile; default: embedded reference server."
)
@click.option("--contract", "contracts", multiple=True, help="Contract to fuzz (repeatable); default: all.")
@click.option(
    "--report-dir", default="reports/fuzz", show_default=True, help="Where results.json and report.html go."
)
@click.option(
    "--fault", "faults", multiple=True, help="Fault injected into the embedded server (repeatable)."
)
@click.option(
    "--max-examples",
    type=click.IntRange(1, 10_000),
    default=None,
    help="Generated cases per operation and phase (default 25).",
)
@click.option("--seed", type=int, default=None, help="The generator's seed (fixed by default).")
def fuzz_command(profile, contracts, report_dir, faults, max_examples, seed) -> None:
    """Fuzz each contract's OpenAPI document against the target with Schemathesis.

    Authenticated where the contract needs tokens (obtained through the suite's own flows first),
    fixed seed, bounded examples; checks not_a_server_error, status_code_conformance,
    content_type_conformance, response_schema_conformance and negative_data_rejection. Writes
    results.json (a `fuzz` section, each finding with a redacted curl command) and report.html.
    Exit 0: no failure and every operation reached · 1: failures · 2: profile error · 3: harness
    trouble (an operation never answered, credentials could not be obtained).
    """
    import time as _time
    from datetime import UTC, datetime
    from pathlib import Path

    from conformance import report

    _check_contracts(contracts)
    path = profile or str(REFERENCE_PROFILE)
    found = problems(path)
    for line in found[:-1]:
        click.echo(f"conformance: {line}", err=True)
    if found:
        _die(found[-1])
    loaded = load(path)
    if faults and not loaded.embedded:
        _die("--fault applies to the embedded reference server only (the profile names a vendor)")
    if faults:
        from reference_server.faults import load_all

        unknown = [f for f in faults if f not in load_all()]
        if unknown:
            _die(f"unknown fault {unknown[0]!r} (see `conformance faults`)")
    missing = [c for c in contracts if c not in loaded.data]
    if missing:
        _die(f"the profile has no [{missing[0]}] section")
    wanted = list(contracts) or [c for c in loaded.contracts if c in loaded.data]
    started_at, started = datetime.now(UTC), _time.perf_counter()
    result, redactor, label = _fuzz(loaded, wanted, faults, max_examples, seed)
    meta = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "duration_s": round(_time.perf_counter() - started, 3),
        "profile": {"name": loaded.name, "sha256": loaded.fingerprint()},
        "target": label if loaded.embedded else redactor.url(label),
        "contracts": wanted,
        "faults": list(faults),
    }
    directory = Path(report_dir)
    directory.mkdir(parents=True, exist_ok=True)
    report.write_fuzz_only(directory, result.to_json(), meta, redactor)
    click.echo(f"report: {(directory / 'report.html').resolve()}")
    unreached = [f"{c.contract}: {op}" for c in result.contracts for op in c.unreached]
    for line in unreached:
        click.echo(f"unreached: {line}", err=True)
    for line in result.errors:
        click.echo(f"harness: {line}", err=True)
    if result.failures:
        sys.exit(1)
    sys.exit(EXIT_HARNESS if unreached or result.errors else 0)


def _check_variants(variants: tuple[str, ...], embedded: bool) -> None:
    from reference_server.variants import ActiveVariants, UnknownVariant

    if not embedded:
        _die("--variant applies to the embedded reference server only (the profile names a vendor)")
    try:
        ActiveVariants(variants)  # unknown names and variants that cannot be served together
    except UnknownVariant as exc:
        _die(str(exc))


def _refuse_unusable(loaded, contracts: list[str]) -> None:
    """Exit 2 before pytest starts (no report) when the profile would make the vendor look broken.

    A vendor target gets the whole pre-flight (`doctor`); the embedded server is built from the
    profile itself and may carry faults on purpose, so only the profile-alone checks apply to it.
    """
    found = (
        preflight.static(loaded, contracts)
        if loaded.embedded
        else preflight.check(loaded, contracts).problems
    )
    if not found:
        return
    for line in found:
        click.echo(f"conformance: {line}", err=True)
    click.echo(
        f"pre-flight: {len(found)} problem(s), nothing was tested and no report written "
        "(`conformance doctor` shows what works; --no-preflight tests anyway)",
        err=True,
    )
    sys.exit(EXIT_PREFLIGHT)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8400, show_default=True)
@click.option(
    "--profile", type=click.Path(dir_okay=False), help="Profile with the accounts and clients to serve."
)
@click.option("--fault", "faults", multiple=True, help="Fault to inject (repeatable).")
@click.option("--variant", "variants", multiple=True, help="Conforming variant to serve (repeatable).")
@click.option("--public-url", help="Base URL clients reach the server at (issuer); default http://HOST:PORT.")
@click.option("--max-body-bytes", type=click.IntRange(1), help="Largest request body (1 MiB); over: 413.")
@click.option("--header-timeout", type=click.FloatRange(0.1), help="Seconds to get a request's headers (10).")
@click.option("--body-timeout", type=click.FloatRange(0.1), help="Seconds to receive a request's body (10).")
@click.option("--max-connections", type=click.IntRange(1), help="Connections open at once (256).")
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    help="Peer address whose X-Forwarded-For is believed (repeatable; none by default).",
)
def serve(host, port, profile, faults, variants, public_url, **limit_options) -> None:
    """Run the reference server on its own: a sandbox for TV and companion apps.

    Its limits (docs/reference-server-limits.md) default to what a public sandbox needs."""
    from reference_server.faults import UnknownFault
    from reference_server.limits import Limits
    from reference_server.server import serve as serve_forever
    from reference_server.variants import UnknownVariant

    names = {"header_timeout": "header_timeout_s", "body_timeout": "body_timeout_s"}
    given = {names.get(k, k): v for k, v in limit_options.items() if v not in (None, ())}
    limits = Limits(**{k: tuple(v) if k == "trusted_proxies" else v for k, v in given.items()})

    try:
        loaded = load(profile or REFERENCE_PROFILE)
        click.echo(
            f"reference server on http://{host}:{port} (profile {loaded.name}; Ctrl-C stops)", err=True
        )
        if variants:
            click.echo(f"serving variants: {', '.join(variants)}", err=True)
        serve_forever(
            loaded.data, host, port, list(faults), public_url, variants=list(variants), limits=limits
        )
    except (ProfileError, UnknownFault, UnknownVariant) as exc:
        _die(str(exc))
    except OSError as exc:
        _die(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


@main.command()
@click.option("--contract", help="Only this contract's variants.")
def variants(contract) -> None:
    """List the reference server's conforming variants and the spec point that allows each."""
    from reference_server.variants import for_contract

    if contract:
        _check_contracts((contract,))
    for v in sorted(for_contract(contract), key=lambda v: v.name):
        click.echo(f"{v.name:40} {v.description}\n{'':40} allowed by {v.spec}")


@main.command()
@click.option("--contract", help="Only this contract's faults.")
def faults(contract) -> None:
    """List the reference server's named faults and the requirements each should break."""
    from reference_server.faults import for_contract

    if contract:
        _check_contracts((contract,))
    for f in sorted(for_contract(contract), key=lambda f: f.name):
        click.echo(f"{f.name:48} {', '.join(f.targets):40} {f.description}")


@main.command()
@click.option(
    "--contract", "contracts", multiple=True, help="Contract to self-test (repeatable); default: all."
)
@click.option("--fault", "only", multiple=True, help="Only these faults (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(1, 16), help="Worker processes; default: CPUs, at most 4.")
@click.option(
    "--full",
    is_flag=True,
    help="Run the whole suite per fault (default: only the tests that declare the fault's targets).",
)
def selftest(contracts, only, jobs, full) -> None:
    """Run the suite against the clean server, then once per fault; exit 0 only when every fault is caught."""
    from conformance import selftest as st

    _check_contracts(contracts)
    wanted = list(contracts) or [c for c in catalogue.available() if c in load(REFERENCE_PROFILE).contracts]
    started = time.perf_counter()
    result = st.run(
        wanted,
        list(only),
        jobs or st.default_jobs(),
        progress=lambda line: click.echo(line, err=True),
        full=full,
    )
    for line in st.table(result)[:-1]:
        click.echo(line)
    click.echo(f"({time.perf_counter() - started:.1f}s)")
    click.echo(st.table(result)[-1])
    sys.exit(0 if result.ok else 1)


@main.command()
@click.option("--contract", "contracts", multiple=True, help="Only this contract (repeatable).")
@click.option(
    "--check",
    "check_",
    is_flag=True,
    help="Fail when a MUST has neither a test nor a written reason, or a shared spec rule is cited nowhere.",
)
def requirements(contracts, check_) -> None:
    """The requirement catalogue, with the tests that check each requirement."""
    _check_contracts(contracts)
    try:
        wanted = list(contracts) or catalogue.available()
        tests = runner.tests_by_requirement(str(REFERENCE_PROFILE), wanted)
        reqs = [r for c in wanted for r in catalogue.load(c).requirements.values()]
    except catalogue.CatalogueError as exc:
        _die(str(exc), EXIT_HARNESS)
    bad = []
    for r in reqs:
        n = len(tests.get(r.id, []))
        note = f"{n} test(s)" if n else (f"untestable: {r.untestable}" if r.untestable else "NO TEST")
        click.echo(f"{r.id:16} {r.level:6} {r.status:12} {note:12} {r.text}")
        if r.level == "MUST" and not n and not r.untestable:
            bad.append(r.id)
    unknown = sorted(set(tests) - {r.id for r in catalogue.all_requirements().values()})
    click.echo(f"{len(reqs)} requirements ({sum(r.level == 'MUST' for r in reqs)} MUST)")
    uncited = _spec_rule_problems() if check_ else []
    if check_ and (bad or unknown or uncited):
        if bad:
            click.echo(f"MUST without a test or a reason: {', '.join(bad)}", err=True)
        if unknown:
            click.echo(f"tests declare unknown requirements: {', '.join(unknown)}", err=True)
        for line in uncited:
            click.echo(f"spec rule without a requirement or a reason: {line}", err=True)
        sys.exit(1)


def _spec_rule_problems() -> list[str]:
    """Every numbered rule of the shared specs is cited by a requirement or has a written reason.

    The specs sit beside the repository (../shared/specs); an installed kit has none, and then only
    the catalogues are checked."""
    where = spec_rules.specs_dir()
    if where is None:
        click.echo("shared specs not found (../shared/specs or $CONFORMANCE_SPECS): spec rules not checked")
        return []
    specs = spec_rules.load_specs(where)
    every = list(catalogue.all_requirements().values())
    for cov in spec_rules.coverage(specs, every):
        if not cov.spec.rules:
            click.echo(f"spec {cov.spec.name}: no numbered rules")
            continue
        click.echo(
            f"spec {cov.spec.name}: {len(cov.spec.rules)} numbered rules, "
            f"{len(cov.spec.rules) - len(cov.uncovered)} with a requirement or a reason"
        )
        for rule in cov.needless_reasons:
            click.echo(
                f"note: {cov.spec.name} rule {rule} is cited by a requirement; its written reason can go"
            )
    return spec_rules.problems(specs, every)


@main.command()
@click.option(
    "--profile",
    type=click.Path(dir_okay=False),
    help="Profile to check; default: the embedded reference server.",
)
@click.option("--contract", "contracts", multiple=True, help="Only check these contracts.")
def doctor(profile, contracts) -> None:
    """Prove a profile works before anything is judged: one `ok` or `problem` line per check.

    Schema and ${VAR} secrets, then every configured endpoint reachable and answering with the right
    shape, the client credentials accepted and each account signing in (once, never with a wrong
    password). An embedded target is started, clean, for the check. Exit 2 on any problem.
    """
    _check_contracts(contracts)
    path = profile or str(REFERENCE_PROFILE)
    found = problems(path)
    notes: list[str] = []
    if not found:
        loaded = load(path)
        wanted = [c for c in contracts or loaded.contracts if c in loaded.data]
        missing = [c for c in contracts if c not in loaded.data]
        found = [f"{c}: the profile has no [{c}] section" for c in missing]
        server = None
        if loaded.embedded:
            from reference_server.server import EmbeddedServer

            try:
                server = EmbeddedServer(loaded.data).start()
            except (RuntimeError, ValueError) as exc:  # a harness defect, not the profile's
                _die(f"the embedded reference server did not start: {exc}", EXIT_HARNESS)
            loaded = with_base_url(loaded, server.url)
            click.echo(f"ok: target: the embedded reference server, started clean at {server.url}")
        try:
            result = preflight.check(loaded, wanted)
        finally:
            if server:
                server.stop()
        for line in result.oks:
            click.echo(f"ok: {line}")
        notes, found = result.notes, found + result.problems
    for line in notes:
        click.echo(f"note: {line}")
    for line in found:
        click.echo(f"problem: {line}")
    if found:
        sys.exit(EXIT_PREFLIGHT)
    click.echo(f"profile {path}: ok")


if __name__ == "__main__":
    main()
