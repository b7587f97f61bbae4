"""Run the pipeline (flows.pipeline.run_all, no Prefect) on the bundled snapshot, optionally
freezing it at a chosen point so that tests/test_crash.py can SIGKILL it there.

    python -m tests.crash_driver DATA PUBLIC REPLAY [--stop POINT --marker FILE]

POINT is where the process writes FILE (JSON: run id, source runs committed so far, ...) and
then blocks until killed:

- `load:<source>`       inside that source's commit transaction, after its listings were
                        merged (rows deleted, inserted, history closed) and before COMMIT;
- `publish:building`    after most release files were written into `.building-<run>`;
- `publish:switch`      after the release was validated and renamed into `releases/`, before
                        `latest`, `latest.json` and `history.json` are switched to it.

Only real functions are wrapped; what they do is unchanged up to the stop.
"""

import argparse
import json
import os
import sys
import threading
from pathlib import Path

import flows.pipeline
import warehouse.release.publish
import warehouse.storage.runs
from schema.registry import load_registry

ROOT = Path(__file__).resolve().parents[1]


def _freeze(marker: Path, state: dict) -> None:
    """Say where we are (atomically: the test reads the file as soon as it appears), then wait
    for the SIGKILL."""
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps(state, default=str), "utf-8")
    os.replace(tmp, marker)
    threading.Event().wait()


def install(stop: str, marker: Path) -> None:
    state: dict = {"stop": stop, "run_id": None, "committed": []}
    commit, load = flows.pipeline.commit_source_run, warehouse.storage.runs.load_source_run

    def commit_and_note(con, run_id, run):
        state["run_id"] = run_id
        commit(con, run_id, run)
        state["committed"].append(run.source_id)

    def load_then_stop(con, *, source_id, **kw):
        loaded = load(con, source_id=source_id, **kw)
        if stop == f"load:{source_id}":
            state["counts"] = vars(loaded.counts)
            _freeze(marker, state)
        return loaded

    flows.pipeline.commit_source_run = commit_and_note
    warehouse.storage.runs.load_source_run = load_then_stop
    if stop == "publish:building":
        write_hsds = warehouse.release.publish.write_hsds

        def hsds_then_stop(con, building, ctx):
            write_hsds(con, building, ctx)
            state["building"] = str(building)
            _freeze(marker, state)

        warehouse.release.publish.write_hsds = hsds_then_stop
    elif stop == "publish:switch":
        switch = warehouse.release.publish.switch

        def stop_before_switch(public, run_id, document, history):
            state["release"] = str(public / "releases" / run_id)
            _freeze(marker, state)
            switch(public, run_id, document, history)

        warehouse.release.publish.switch = stop_before_switch


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("public")
    parser.add_argument("replay")
    parser.add_argument("--stop")
    parser.add_argument("--marker", type=Path)
    args = parser.parse_args(argv)
    if args.stop:
        install(args.stop, args.marker)
    report = flows.pipeline.run_all(load_registry(ROOT / "sources.toml"), replay=args.replay,
                                    data_dir=args.data, public_dir=args.public,
                                    republish=True)  # the snapshot never changes
    print(json.dumps({k: report[k] for k in ("run_id", "status")}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
