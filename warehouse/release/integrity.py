"""Release integrity and housekeeping: `SHA256SUMS`, `history.json`, pruning old releases.

Release folders are ordered by name: run ids start with their UTC start time
(`YYYYmmddTHHMMSSZ-xxxx`), so the name order is the time order.
"""

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUMS = "SHA256SUMS"
HISTORY = "history.json"


#: (device, inode, size, mtime) -> digest, while `hashes_remembered` is active.
_REMEMBERED: dict[tuple[int, int, int, int], str] | None = None


@contextmanager
def hashes_remembered() -> Iterator[None]:
    """Within the block, each file is hashed once: a release's files are written once and then
    hashed by the landing page, the DCAT document and `SHA256SUMS` (a second and third read of
    close to a gigabyte). Only for a folder whose files nobody rewrites inside the block."""
    global _REMEMBERED
    outer, _REMEMBERED = _REMEMBERED, {} if _REMEMBERED is None else _REMEMBERED
    try:
        yield
    finally:
        _REMEMBERED = outer


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in blocks (releases hold files of hundreds of MB)."""
    key = None
    if _REMEMBERED is not None:
        st = os.stat(path)
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
        if key in _REMEMBERED:
            return _REMEMBERED[key]
    with Path(path).open("rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    if key is not None:
        _REMEMBERED[key] = digest
    return digest


def write_sha256sums(folder: Path) -> Path:
    """`SHA256SUMS` as `sha256sum -c` reads it: `<hex>  <path>` per file below `folder`."""
    folder = Path(folder)
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                   if p.is_file() and p.relative_to(folder).as_posix() != SUMS)
    path = folder / SUMS
    tmp = folder / f".{SUMS}.{os.getpid()}"
    tmp.write_text("".join(f"{sha256_file(folder / n)}  {n}\n" for n in names), "utf-8")
    os.replace(tmp, path)
    return path


def read_sha256sums(folder: Path) -> dict[str, str]:
    """Relative path -> hex digest, as `write_sha256sums` wrote them."""
    lines = (Path(folder) / SUMS).read_text("utf-8").splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def write_json(path: Path, document: object) -> Path:
    """A release's JSON document as people read it: indented, non-ASCII as it is."""
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), "utf-8")
    return path


def read_history(public: Path) -> list[dict]:
    """`history.json`, the releases newest first (written by `warehouse.release.switch`)."""
    path = Path(public) / HISTORY
    return json.loads(path.read_text("utf-8")) if path.is_file() else []


def releases_beyond(public: Path, keep: int, protect: set[str]) -> list[str]:
    """The release folders beyond the newest `keep`, never one named in `protect` (newest
    first): what pruning removes once the history no longer names them."""
    if keep < 1:
        raise ValueError("keep must be at least 1")
    releases = Path(public) / "releases"
    if not releases.is_dir():
        return []
    names = sorted((p.name for p in releases.iterdir()
                    if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")),
                   reverse=True)
    return [n for n in names[keep:] if n not in protect]


def remove_releases(public: Path, run_ids: list[str]) -> None:
    """Delete release folders, as far as the disk lets us: called after the switch, when a
    folder left behind is only a leftover that the next run's pruning takes again."""
    for run_id in run_ids:
        shutil.rmtree(Path(public) / "releases" / run_id, ignore_errors=True)


def latest_run_id(public: Path) -> str | None:
    """The run id `public/latest` points at (for `protect`), or None."""
    latest = Path(public) / "latest"
    return Path(os.path.realpath(latest)).name if latest.exists() else None


def package_errors(package: Path) -> list[str]:
    """Frictionless validation of the data package `package`, every resource and foreign key:
    its errors as "type: message", none when it is valid."""
    import frictionless  # slow to import, needed only here

    try:
        report = frictionless.validate(package)
    except frictionless.FrictionlessException as exc:  # e.g. a descriptor that is no package
        return [f"{e.type}: {e.message}" for e in exc.to_errors()]
    return [f"{e.type}: {e.message}" for e in report.errors] + [
        f"{e.type}: {e.message}" for task in report.tasks for e in task.errors]
