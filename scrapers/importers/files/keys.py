"""What an import remembers from row to row: source keys that stay distinct and stable, and
contact data seen, to note what another row copied."""

import hashlib
import re
import sqlite3
from dataclasses import dataclass

from schema.registry import FileSettings
from scrapers.importers.files.cells import Place, first_text


@dataclass
class Draft:
    """One place read from a row: its fields, the key it was read under and notes so far."""

    row: int
    base: str
    fields: dict[str, object]
    notes: list[str]


class FileState:
    """Values by kind and key that an import remembers from row to row (source keys taken,
    contact data seen), in a private temporary SQLite database, deleted when closed: its pages
    live on disk, so what an import holds does not grow with the file."""

    BASE, USED, CONTACT = 0, 1, 2

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a temporary on-disk database of its own
        self._db.execute("PRAGMA journal_mode = OFF")  # nothing to roll back or recover
        self._db.execute("CREATE TABLE seen (kind INTEGER, key TEXT, a INTEGER, b INTEGER, "
                         "c TEXT, PRIMARY KEY (kind, key)) WITHOUT ROWID")

    def get(self, kind: int, key: str) -> tuple[int, int | None, str | None] | None:
        return self._db.execute("SELECT a, b, c FROM seen WHERE kind = ? AND key = ?",
                                (kind, key)).fetchone()

    def put(self, kind: int, key: str, a: int, b: int | None = None, c: str | None = None
            ) -> None:
        self._db.execute("INSERT OR REPLACE INTO seen VALUES (?, ?, ?, ?, ?)",
                         (kind, key, a, b, c))

    def close(self) -> None:
        self._db.close()

    def assign(self, base: str, place: Place, fields: dict[str, object]
               ) -> tuple[str, str | None, list[str]]:
        """(key, parent key, notes) of a place, stable and distinct: a centre's first place
        keeps the file's key, further places get "-<branch id>" when the file names them, the
        ordinal of a branch within its row (suffixed columns, a JSON list), or for a row
        repeating the key "-<digest>" of the place's name and address, so that reordering the
        rows moves no listing to another key."""
        known = self.get(FileState.BASE, base)  # (places so far, first row)
        n, first_row = (1, place.row) if known is None else (known[0] + 1, known[1])
        self.put(FileState.BASE, base, n, first_row)
        if n == 1:
            return base, None, []
        if place.branch_id or place.own is not None:
            return f"{base}-{place.branch_id or n}", base, []
        key = f"{base}-{place_digest(fields)}"
        return key, base, [f"source key {base!r} repeated from row {first_row}; read as {key!r}"]

    def take(self, key: str, row: int) -> int | None:
        """Give `key` to `row`; when another row has it already, that row (and nothing
        changes)."""
        known = self.get(FileState.USED, key)
        if known is not None:
            return known[0]
        self.put(FileState.USED, key, row)
        return None

    def note_copied(self, draft: Draft) -> None:
        """Note on `draft` a phone number or e-mail address another row (of another key) gave
        before: one centre's contact data pasted into another's row looks just like real data
        otherwise. Branches of one centre may share them. Drafts come in file order."""
        kinds: dict[int, set[str]] = {}
        for item in sorted(_contacts(draft.fields)):
            known = self.get(FileState.CONTACT, item)
            if known is None:
                self.put(FileState.CONTACT, item, draft.row, c=draft.base)
                continue
            row, _, base = known
            if base != draft.base:
                kinds.setdefault(row, set()).add(item.split(":", 1)[0])
        for row, what in sorted(kinds.items()):
            draft.notes.append(f"contact data identical to row {row} ({', '.join(sorted(what))})")


def place_digest(fields: dict[str, object]) -> str:
    """Eight hex digits naming a place by what it says of itself (name and address, case and
    spacing ignored): the same in any row order."""
    parts = [fields.get(name) for name in ("name", "address_text", "district")]
    text = "|".join(" ".join(str(p).casefold().split()) for p in parts if p)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def base_key(place: Place, settings: FileSettings) -> str | None:
    parts = [first_text(place.cell(col)) for col in settings.key]
    return "-".join(p for p in parts if p) if all(parts) else None


def _contacts(fields: dict[str, object]) -> set[str]:
    found = set()
    for value in fields.get("phones_text") or []:
        digits = re.sub(r"\D", "", re.sub(r"^\s*\+49", "0", str(value)))
        if len(digits) >= 6:
            found.add(f"phone:{digits}")
    for name in ("emails_text", "web_text"):
        for value in fields.get(name) or []:
            if "@" in str(value):
                found.add(f"e-mail:{str(value).strip().lower().removeprefix('mailto:')}")
    return found
