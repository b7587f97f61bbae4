"""The public folder's one switch: `latest`, `latest.json` and `history.json` change together.

Readers see three names that must always agree. Each is a fixed symlink into `current`, and
`current` is the only thing a publish changes, in one atomic rename:

    releases/<run>/          the releases, never written again once renamed into place
    states/<name>/           latest.json, history.json, release -> ../../releases/<run>
    current -> states/<name> the switch
    latest       -> current/release
    latest.json  -> current/latest.json
    history.json -> current/history.json

A new state folder is written and fsynced in full before the rename, so at every instant, and
after a crash at any point, the three names show one state folder: all the old release or all
the new one. What a failed or killed publish leaves (building folders, a state folder or a
release never switched to, temporary links) is named by nothing and removed by the next run.
A public folder of the earlier layout (`latest` a link into `releases/`, the two documents
plain files) is converted on its next publish, each step showing the same release.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from pathlib import Path

CURRENT = "current"
STATES = "states"
#: Public name -> its fixed link target (relative to the public folder).
FIXED = {"latest": f"{CURRENT}/release", "latest.json": f"{CURRENT}/latest.json",
         "history.json": f"{CURRENT}/history.json"}
#: Temporary names: links about to be renamed over `current` or a fixed name, and what the
#: earlier layout's writer left (`.latest-<pid>`, `.latest.json.<pid>`, `.history.json.<pid>`).
_TEMPORARY = (".current-*", ".link-*", ".latest-*", ".latest.json.*", ".history.json.*")


def fsync_path(path: Path) -> None:
    """Flush a file's or folder's data and entry to disk (a folder: the names in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """Every file and folder below `folder`, and `folder` itself, on disk: a release must be
    whole before anything names it, also after a power cut."""
    for root, dirs, files in os.walk(folder):
        for name in (*files, *dirs):
            fsync_path(Path(root) / name)
    fsync_path(folder)


def _write_new(path: Path, document) -> None:
    """A new file, written and flushed to disk before it is closed."""
    with open(path, "x", encoding="utf-8") as f:
        f.write(json.dumps(document, ensure_ascii=False, indent=2))
        f.flush()
        os.fsync(f.fileno())


def _replace_link(public: Path, name: str, target: str) -> None:
    """Point `public/name` at `target` in one rename of a fresh symlink."""
    tmp = public / f".link-{name}-{secrets.token_hex(4)}"
    tmp.symlink_to(target)
    try:
        os.replace(tmp, public / name)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def current_state(public: Path) -> Path | None:
    """The state folder `current` names, or None (nothing published in this layout)."""
    link = public / CURRENT
    if not link.is_symlink():
        return None
    return public / STATES / Path(os.readlink(link)).name


def switch(public: Path, run_id: str, document: dict, history: list[dict]) -> Path:
    """Make `document` the `latest.json`, `history` the `history.json` and release `run_id`
    the `latest`, together: a new state folder, fsynced, then one rename of `current`. On an
    error before that rename nothing a reader sees has changed (the error is raised); after
    it nothing is raised, since the switch has happened (what is left, the next run removes)."""
    ensure_layout(public)
    previous = current_state(public)
    state = _switch_to(public, run_id, document, history)
    with contextlib.suppress(OSError):  # durable now; a crash before keeps the old state
        fsync_path(public)
    if previous is not None and previous != state:
        shutil.rmtree(previous, ignore_errors=True)
    return state


def _switch_to(public: Path, run_id: str, document: dict, history: list[dict]) -> Path:
    """A new state folder, fsynced, then `current` renamed onto it; on an error, no state
    folder."""
    states = public / STATES
    states.mkdir(exist_ok=True)
    state = states / f"{run_id}.{secrets.token_hex(4)}"
    state.mkdir()
    try:
        _write_new(state / "latest.json", document)
        _write_new(state / "history.json", history)
        (state / "release").symlink_to(f"../../releases/{run_id}")
        fsync_path(state)
        fsync_path(states)
        _replace_link(public, CURRENT, f"{STATES}/{state.name}")
    except BaseException:
        shutil.rmtree(state, ignore_errors=True)
        raise
    return state


def ensure_layout(public: Path) -> None:
    """Give `public` the fixed links, converting the earlier layout: its release, latest.json
    and history.json become the first state folder, then each plain name is replaced by its
    link, which shows the same content. Safe to repeat after a crash at any step."""
    public.mkdir(parents=True, exist_ok=True)
    if current_state(public) is None:
        legacy = _legacy_state(public)
        if legacy is not None:
            _switch_to(public, *legacy)
    for name, target in FIXED.items():
        path = public / name
        if not (path.is_symlink() and os.readlink(path) == target):
            _replace_link(public, name, target)
    fsync_path(public)


def _legacy_state(public: Path) -> tuple[str, dict, list[dict]] | None:
    """The earlier layout's published state: `latest.json` decides (a publish that failed
    after switching the link left latest.json on the release it reported as kept)."""
    path = public / "latest.json"
    if path.is_symlink() or not path.is_file():
        return None
    try:
        document = json.loads(path.read_text("utf-8"))
        run_id = document["run_id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (public / "releases" / run_id).is_dir():
        return None
    return run_id, document, history_with(_legacy_history(public), history_entry(document))


def _legacy_history(public: Path) -> list[dict]:
    """The earlier layout's `history.json`, its unreadable entries left out."""
    path = public / "history.json"
    try:
        loaded = [] if path.is_symlink() else json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return []
    return [e for e in loaded if isinstance(e, dict) and isinstance(e.get("run_id"), str)] \
        if isinstance(loaded, list) else []


def history_entry(document: dict) -> dict:
    """The `history.json` entry of the release a `latest.json` describes."""
    return {"run_id": document["run_id"], "generated": document.get("generated"),
            "counts": document.get("counts", {}),
            "path": document.get("release", f"releases/{document['run_id']}/")}


def history_with(history: list[dict], entry: dict) -> list[dict]:
    """`history` with `entry` added (or replacing the one with its `run_id`), newest first
    (by `run_id`, which starts with the run's start time)."""
    if "run_id" not in entry:
        raise ValueError("history entry needs a run_id")
    kept = [e for e in history if e.get("run_id") != entry["run_id"]]
    return sorted([*kept, entry], key=lambda e: e["run_id"], reverse=True)


def remove_leftovers(public: Path) -> list[Path]:
    """Remove what failed or killed publishes left: building folders, temporary links and
    files, state folders `current` does not name, and releases never switched to (newer than
    the current one and absent from its history). Safe: one writer at a time, so none of
    them belongs to a publish still running. Returns what it removed."""
    removed: list[Path] = []
    for pattern in (".building-*", *_TEMPORARY):
        removed += public.glob(pattern)
    current = current_state(public)
    states = public / STATES
    if states.is_dir():
        removed += [p for p in states.iterdir() if p != current]
    removed += _unswitched_releases(public, current)
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                path.unlink()
    return removed


def _unswitched_releases(public: Path, current: Path | None) -> list[Path]:
    releases = public / "releases"
    if not releases.is_dir() or (current is None and (public / "latest.json").exists()):
        return []  # the earlier layout, not converted yet: nothing is known to be unswitched
    named: set[str] = set()
    newest = ""
    if current is not None:
        try:
            newest = Path(os.readlink(current / "release")).name
            named = {e["run_id"] for e in json.loads((current / "history.json").read_text(
                "utf-8"))}
        except (OSError, ValueError, KeyError, TypeError):
            return []  # a state folder damaged from outside: leave the releases alone
    return [p for p in releases.iterdir()
            if p.name > newest and p.name not in named and not p.name.startswith(".")]
