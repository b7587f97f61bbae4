"""`shg`: the command line of selbsthilfe-atlas (`shg COMMAND --help` for each command)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from pathlib import Path

from schema.registry import RegistryError, load_registry
from scrapers.errors import CrawlBudgetExceeded, SourceError
from scrapers.fetch.crawl import RUN_MINUTES
from warehouse.linkage.decisions import DecisionsError

#: Seconds `shg run` waits for Prefect's temporary server to start (unless set otherwise).
EPHEMERAL_STARTUP_SECONDS = 180


def _env_defaults() -> None:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_HOME", str(Path(".prefect").resolve()))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    # Prefect gives its temporary server 20 s to answer; a busy 2-core machine took longer
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
                          str(EPHEMERAL_STARTUP_SECONDS))


def _origin_pair(value: str) -> tuple[str, str]:
    """One `--map ORIGIN=URL`; `dict(args.map)` is the rewrite map."""
    origin, sep, target = value.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"expected ORIGIN=URL, got {value!r}")
    return origin, target


def cmd_run(args: argparse.Namespace) -> int:
    """Run the nightly flow (Prefect's temporary server unless PREFECT_API_URL is set). Exit 0
    every source ok, 1 a source failed, 3 publish failed (latest kept), 4 the run could not
    start (another run, the warehouse held, disk full, corrupt); 2 is argparse's and a bad
    registry's."""
    registry = load_registry(args.registry)  # fail fast, before Prefect starts
    for sid in args.source or []:
        registry.get(sid)
    from warehouse.linkage.decisions import default_path, load_decisions

    load_decisions(default_path(registry.path))  # a malformed file stops the run here (2)
    from flows.pipeline import report_refused
    from warehouse.storage.db import WarehouseUnavailable, run_lock

    with contextlib.ExitStack() as held:
        try:  # a second run on this data folder stops here, before Prefect starts
            held.enter_context(run_lock(Path(args.data)))
        except WarehouseUnavailable as exc:
            report_refused(args.data, args.replay, exc)
            print(f"shg: run did not start [{exc.failure_class}]: {exc.reason}",
                  file=sys.stderr)
            return 4
        return _run_flow(args)


def _run_flow(args: argparse.Namespace) -> int:
    _env_defaults()
    from flows import progress

    progress.say("connecting to the Prefect server at " + os.environ["PREFECT_API_URL"]
                 if os.environ.get("PREFECT_API_URL")
                 else "starting Prefect's temporary server…")
    from flows.report import exit_code, format_report

    params = {"registry_path": str(args.registry), "source_ids": args.source or None,
              "replay": args.replay, "data_dir": args.data, "public_dir": args.public,
              "rewrite": dict(args.map), "rate_override": args.rate,
              "force": args.all, "republish": args.republish,
              "max_run_minutes": args.max_run_minutes or None, "lock_wait": args.lock_wait}
    if args.dask:
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # as quiet as Prefect
        from flows.dask_runner import DaskSetupError
        from flows.nightly import run_on_dask

        try:
            report = run_on_dask(args.dask, **params)
        except DaskSetupError as exc:
            print(f"shg: {exc}", file=sys.stderr)
            return 2
    else:
        from flows.nightly import nightly

        report = nightly(**params)
    print(f"run {report['run_id']} ({report['mode']}): {report['status']}")
    print(format_report(report))
    return exit_code(report)


def cmd_serve(args: argparse.Namespace) -> int:
    """Register the nightly deployment with the Prefect server and run its flow runs here."""
    load_registry(args.registry)  # fail fast, before Prefect starts
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")  # flow run logs reach the server
    _env_defaults()
    from prefect.settings import PREFECT_API_URL

    from flows.nightly import deployment_spec, serve

    if not PREFECT_API_URL.value():
        print("shg: serve needs a Prefect server: start one with `prefect server start` and "
              "set PREFECT_API_URL=http://127.0.0.1:4200/api", file=sys.stderr)
        return 2
    spec = deployment_spec(args.prefect_file)
    overrides = {"registry_path": str(Path(args.registry).resolve()),
                 "data_dir": str(Path(args.data).resolve()),
                 "public_dir": str(Path(args.public).resolve())}
    if args.replay:
        overrides["replay"] = str(Path(args.replay).resolve())
    print(f"serving {spec.name}: cron {spec.cron!r} ({spec.timezone}) at {PREFECT_API_URL.value()}",
          flush=True)
    serve(spec, **overrides)
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from flows.health import check

    registry = Path(args.registry)
    health = check(Path(args.data_dir or args.data), Path(args.public_dir),
                   max_failures=args.max_failures,
                   max_age=timedelta(hours=args.max_age_hours),
                   source_ids=load_registry(registry).ids if registry.is_file() else None)
    print("\n".join(health.lines()))
    return 0 if health.ok else 1


def cmd_sources(args: argparse.Namespace) -> int:
    from warehouse.storage.db import connect
    from warehouse.storage.runs import SourceHealth, last_status

    registry = load_registry(args.registry)
    db = Path(args.data) / "atlas.duckdb"
    status = {}
    if db.exists():
        with connect(db, read_only=True) as con:
            status = last_status(con)
    never = SourceHealth("never", None, None, None, 0, None, 0)  # a source that has not run
    print(f"{'id':<26} {'kind':<7} {'policy':<9} {'cadence':<8} {'records':>7} "
          f"{'last run':<8} {'fails':>5} {'last ok':<17} licence")
    for s in registry.sources:
        st = status.get(s.id, never)
        last_ok = st.last_ok.strftime("%Y-%m-%d %H:%M") if st.last_ok else "-"
        print(f"{s.id:<26} {s.kind:<7} {s.policy:<9} {s.cadence:<8} {st.records:>7} "
              f"{st.status:<8} {st.consecutive_failures:>5} {last_ok:<17} {s.licence}")
        if st.status == "failed":
            print(f"    [{st.failure_class}] {st.reason}")
    return 0


def cmd_quality(args: argparse.Namespace) -> int:
    from schema.normalise.flags import FLAGS
    from warehouse.storage.db import connect
    from warehouse.storage.runs import current_flag_counts, latest_quality

    db = Path(args.data) / "atlas.duckdb"
    if not db.exists():
        print(f"shg: no warehouse at {db}: run `shg run` first", file=sys.stderr)
        return 1
    with connect(db, read_only=True) as con:
        rows = latest_quality(con)
        flags = current_flag_counts(con)
    print(f"{'source':<26} {'field':<14} {'records':>7} {'present':>8} {'missing':>8} "
          f"{'invalid':>8} {'repaired':>8}")
    for source, field, records, present, missing, invalid, repaired in rows:
        share = f"{present / records:>7.0%}" if records else "      -"
        print(f"{source:<26} {field:<14} {records:>7} {present:>8} {missing:>8} {invalid:>8} "
              f"{repaired:>8}  {share} present")
    print(f"\n{'source':<26} {'flag':<34} {'kind':<9} {'listings':>8}")
    for source, code, count in flags:
        kind = FLAGS[code].kind if code in FLAGS else "unknown"
        print(f"{source:<26} {code:<34} {kind:<9} {count:>8}")
    return 0


def cmd_capture(args: argparse.Namespace) -> int:
    from flows.capture import capture, extract_warc

    source = load_registry(args.registry).get(args.source_id)
    target, result = asyncio.run(capture(source, Path(args.out), rewrite=dict(args.map),
                                         rate=args.rate))
    print(f"{target}: {len(result.pages)} pages, {len(result.records)} records, "
          f"{len(result.failures)} failures")
    for failure in result.failures:
        print(f"    {failure.url}: {failure.reason}")
    if args.extract:
        extracted = asyncio.run(extract_warc(target, Path(args.extract)))
        print(f"{len(extracted.written)} pages written under {args.extract}")
        if extracted.refused:
            print(f"{len(extracted.refused)} pages refused, their path would leave "
                  f"{args.extract}:")
        for url, why in extracted.refused:
            print(f"    {url}: {why}")
    return 0 if result.records else 1


def cmd_check_source(args: argparse.Namespace) -> int:
    """Exit 0 when the source would be accepted, 1 when it would fail."""
    from flows.check import check_source, format_check

    registry = load_registry(args.registry)
    source = registry.get(args.source_id)
    run = check_source(source, registry.path.parent, replay=args.replay and Path(args.replay),
                       rewrite=dict(args.map))
    print(format_check(run, show=args.show))
    return 0 if run.status == "ok" else 1


def cmd_review(args: argparse.Namespace) -> int:
    """List the review queue (exit 0), or record one decision (exit 0; 2 when it cannot)."""
    from flows.review import ReviewError, format_queue, queue, record
    from warehouse.linkage.decisions import default_path, load_decisions

    path = Path(args.decisions) if args.decisions else default_path(args.registry)
    db = Path(args.data) / "atlas.duckdb"
    pair = args.same or args.different
    try:
        if pair:
            if not args.reason:
                print("shg: review: a decision needs --reason", file=sys.stderr)
                return 2
            print(record(db, path, *pair, same=bool(args.same), reason=args.reason,
                         by=args.by))
            return 0
        print(format_queue(*queue(db, load_decisions(path))))
        return 0
    except ReviewError as exc:
        print(f"shg: review: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    if argv is None:  # the `shg` command itself, not a caller in a long-lived process
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `shg quality | head` ends quietly
    parser = argparse.ArgumentParser(prog="shg", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--registry", default="sources.toml", help="source registry file")
    parser.add_argument("--data", default="data", help="warehouse, WARC and cache folder")
    sub = parser.add_subparsers(dest="command", required=True)
    mapped = argparse.ArgumentParser(add_help=False)  # the commands that crawl
    mapped.add_argument("--map", action="append", type=_origin_pair, default=[],
                        metavar="ORIGIN=URL",
                        help="send requests for ORIGIN to URL (fixture servers)")

    run = sub.add_parser("run", parents=[mapped], help="run the nightly pipeline",
                         description=cmd_run.__doc__)
    run.add_argument("--source", action="append", metavar="ID", help="only this source")
    run.add_argument("--replay", metavar="DIR", help="serve requests from WARC files in DIR")
    run.add_argument("--public", default="public", help="release folder")
    run.add_argument("--rate", type=float, help="override requests/second per host")
    run.add_argument("--all", action="store_true",
                     help="collect every source, also those not due by their cadence")
    run.add_argument("--republish", action="store_true",
                     help="build a new release even when nothing changed since the latest")
    run.add_argument("--max-run-minutes", type=float, default=RUN_MINUTES, metavar="M",
                     help="sources still collecting M minutes after the start fail as "
                          f"crawl_budget (default {RUN_MINUTES:g}; 0: no limit)")
    run.add_argument("--lock-wait", type=float, default=30.0, metavar="SECONDS",  # WAREHOUSE_WAIT
                     help="wait this long for a warehouse another process holds, e.g. a "
                          "read-only connection (default 30)")
    run.add_argument("--dask", metavar="ADDRESS", default=os.environ.get("SHG_DASK_ADDRESS"),
                     help="run the per-source tasks on the Dask scheduler at ADDRESS "
                          "(tcp://HOST:8786), or on a temporary local cluster of N worker "
                          "processes (local:N); default: $SHG_DASK_ADDRESS, else threads")
    run.set_defaults(func=cmd_run)

    srv = sub.add_parser("serve", help="serve the nightly deployment on its prefect.yaml "
                                       "schedule (needs PREFECT_API_URL)")
    srv.add_argument("--prefect-file", default="prefect.yaml",
                     help="deployment file holding the schedule")
    srv.add_argument("--replay", metavar="DIR", help="scheduled runs replay WARC files in DIR")
    srv.add_argument("--public", default="public", help="release folder")
    srv.set_defaults(func=cmd_serve)

    hl = sub.add_parser("health", help="exit 1 with one line per problem if unhealthy")
    hl.add_argument("--data-dir", help="warehouse folder (default: --data)")
    hl.add_argument("--public-dir", default="public", help="release folder")
    hl.add_argument("--max-failures", type=int, default=3, metavar="N",
                    help="a source failing N runs in a row is a problem (default 3)")
    hl.add_argument("--max-age-hours", type=float, default=36, metavar="H",
                    help="a latest release older than H hours is a problem (default 36)")
    hl.set_defaults(func=cmd_health)

    sub.add_parser("sources", help="list sources and their last run").set_defaults(
        func=cmd_sources)
    sub.add_parser("quality", help="per-field quality counters of the latest runs and the "
                                   "flag codes of current listings").set_defaults(func=cmd_quality)

    cap = sub.add_parser("capture", parents=[mapped],
                         help="record a source's live pages into a WARC")
    cap.add_argument("source_id", metavar="SOURCE")
    cap.add_argument("--out", default="snapshots", help="folder for SOURCE.warc.gz")
    cap.add_argument("--extract", metavar="DIR",
                     help="also lay the pages out as a fixture folder, e.g. tests/fixtures/ID")
    cap.add_argument("--rate", type=float, help="requests/second (default: the registry's)")
    cap.set_defaults(func=cmd_capture)

    chk = sub.add_parser("check-source", parents=[mapped],
                         help="collect one source and report, writing nothing (no warehouse, "
                              "no release)")
    chk.add_argument("source_id", metavar="ID")
    chk.add_argument("--replay", metavar="DIR", help="serve requests from WARC files in DIR")
    chk.add_argument("--show", type=int, default=3, metavar="N", help="listings to show")
    chk.set_defaults(func=cmd_check_source)

    rev = sub.add_parser("review", help="linkage's uncertain pairs with their evidence; "
                                        "--same/--different records a decision")
    decide = rev.add_mutually_exclusive_group()
    decide.add_argument("--same", nargs=2, metavar=("A", "B"),
                        help="declare listings A and B (source_id:source_key) the same")
    decide.add_argument("--different", nargs=2, metavar=("A", "B"),
                        help="declare listings A and B not the same")
    rev.add_argument("--reason", help="why (required with --same/--different)")
    rev.add_argument("--by", help="who decides (stored with the decision)")
    rev.add_argument("--decisions", metavar="FILE",
                     help="decisions file (default: linkage-decisions.toml beside --registry)")
    rev.set_defaults(func=cmd_review)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except RegistryError as exc:
        print(f"shg: bad registry:\n{exc}", file=sys.stderr)
        return 2
    except DecisionsError as exc:
        print(f"shg: {args.command}: bad configuration [config_error]: {exc}", file=sys.stderr)
        return 2
    except (SourceError, CrawlBudgetExceeded) as exc:
        print(f"shg: {args.command} failed [{exc.failure_class}]: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
