"""Release integrity and housekeeping: `SHA256SUMS`, `history.json`, pruning old releases.

- `write_sha256sums(folder)`: `SHA256SUMS` in the format `sha256sum -c` reads (`<hex>  <path>`,
  paths relative to the release folder, sorted, every file below it except itself).
- `update_history(public, entry)`: `public/history.json`, the releases newest first.
- `prune_releases(public, keep, protect)`: delete all but the newest `keep` release folders
  (never one in `protect`, e.g. what `latest` points to) and drop them from the history.

Release folders are ordered by name: run ids start with their UTC start time
(`YYYYmmddTHHMMSSZ-xxxx`), so the name order is the time order.
"""

import hashlib
import json
import os
import shutil
from pathlib import Path

SUMS = "SHA256SUMS"
HISTORY = "history.json"


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks (releases hold files of hundreds of MB)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_sha256sums(folder: Path) -> Path:
    folder = Path(folder)
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.relative_to(folder).as_posix() != SUMS)
    for name in names:
        if "\n" in name or "\\" in name:
            raise ValueError(f"file name not representable in {SUMS}: {name!r}")
    path = folder / SUMS
    tmp = folder / f".{SUMS}.{os.getpid()}"
    tmp.write_text("".join(f"{sha256_file(folder / n)}  {n}\n" for n in names), "utf-8")
    os.replace(tmp, path)
    return path


def read_sha256sums(folder: Path) -> dict[str, str]:
    """Relative path -> hex digest, as `write_sha256sums` wrote them."""
    lines = (Path(folder) / SUMS).read_text("utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def _write_atomically(path: Path, document) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2), "utf-8")
    os.replace(tmp, path)


def read_history(public: Path) -> list[dict]:
    path = Path(public) / HISTORY
    return json.loads(path.read_text("utf-8")) if path.is_file() else []


def update_history(public: Path, entry: dict) -> Path:
    """Add (or replace, same `run_id`) `entry` — `run_id`, `generated`, `counts`, `path` —
    and keep the list newest first (by `run_id`, which starts with the start time)."""
    if "run_id" not in entry:
        raise ValueError("history entry needs a run_id")
    history = [e for e in read_history(public) if e.get("run_id") != entry["run_id"]]
    history.append(entry)
    history.sort(key=lambda e: e["run_id"], reverse=True)
    path = Path(public) / HISTORY
    _write_atomically(path, history)
    return path


def prune_releases(public: Path, keep: int, protect: set[str]) -> list[str]:
    """Delete release folders beyond the newest `keep`, never one named in `protect`;
    returns the removed run ids (newest first) and drops them from `history.json`."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    releases = Path(public) / "releases"
    if not releases.is_dir():
        return []
    names = sorted((p.name for p in releases.iterdir()
                    if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")),
                   reverse=True)
    removed = [n for n in names[keep:] if n not in protect]
    for name in removed:
        shutil.rmtree(releases / name)
    if removed and (Path(public) / HISTORY).is_file():
        gone = set(removed)
        _write_atomically(Path(public) / HISTORY,
                          [e for e in read_history(public) if e.get("run_id") not in gone])
    return removed


def latest_run_id(public: Path) -> str | None:
    """The run id `public/latest` points at (for `protect`), or None."""
    latest = Path(public) / "latest"
    return Path(os.path.realpath(latest)).name if latest.exists() else None
