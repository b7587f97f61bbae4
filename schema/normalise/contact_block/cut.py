"""Cutting a contact block into pieces: labelled values and unlabelled text, in order."""

import re
from dataclasses import dataclass

from schema.normalise.address import has_postcode, is_street
from schema.normalise.contact_block import words


@dataclass
class Piece:
    """One piece of the block: its place in the text (for order), its kind, its text."""

    at: int
    kind: str  # a label kind, or "text" for unlabelled text
    text: str
    label: str = ""


def cut_pieces(text: str) -> list[Piece]:
    """Labelled values (each with what follows its label) and unlabelled pieces, in order. A
    value that runs on into text of another shape gives that text back as unlabelled."""
    out: list[Piece] = []
    marks = _marks(text)
    ends = [m.start() for m in marks[1:]] + [len(text)]
    _split_text(text[: marks[0].start()] if marks else text, 0, out)
    for m, end in zip(marks, ends[: len(marks)], strict=True):
        kind = m.lastgroup or "contact"
        value = text[m.end():end]
        keep = 0 if kind in ("address", "contact") else _value_length(kind, value)
        if value[:keep].strip(" ,;\n"):
            out.append(Piece(m.start(), kind, value[:keep].strip(" ,;\n"),
                              m.group(0).strip()))
        elif kind not in ("address", "contact"):
            out.append(Piece(m.start(), "empty", m.group(0).strip()))
        _split_text(value[keep:], m.end() + keep, out)
    return out


def _marks(text: str) -> list[re.Match]:
    """The labels of `text`; an office-hours label on the line of an hours value stays in that
    value ("Mo-Do 17-23 Uhr, offene Sprechstunde Mo 14-15 Uhr"), phone times excepted."""
    marks: list[re.Match] = []
    for m in words.LABEL.finditer(text):
        between = text[marks[-1].end():m.start()] if marks else ""
        inside = marks and marks[-1].lastgroup == "hours" == m.lastgroup and "\n" not in between \
            and re.search(r"\d", between) and "telefon" not in m.group(0).lower()
        if not inside:
            marks.append(m)
    return marks


def _value_length(kind: str, value: str) -> int:
    """How much of the text after a label is its value: pieces of the label's kind (an hours
    text spans commas and lines of times; a person is one piece)."""
    spans = [(m.start(), m.end()) for m in _separators(value)] + [(len(value), len(value))]
    start = 0
    keep = 0
    for i, (sep_start, sep_end) in enumerate(spans):
        piece = value[start:sep_start].strip()
        newline = i > 0 and "\n" in value[spans[i - 1][0]:spans[i - 1][1]]
        if piece and not _fits(kind, piece, first=keep == 0, newline=newline):
            break
        keep = sep_start
        start = sep_end
        if kind == "person" and piece:
            break
    return keep


def _fits(kind: str, piece: str, first: bool, newline: bool) -> bool:
    if kind in ("phone", "fax", "phone_fax"):
        return bool(re.search(r"\d", piece)) and not other_shape(piece) \
            and not words.HOURS_LINE.match(piece)
    if kind == "email":
        return bool(words.EMAILISH.search(piece)) or (first and not other_shape(piece))
    if kind == "web":
        return bool(words.URLISH.match(piece)) or (first and not other_shape(piece))
    if kind == "hours":  # "Termine über Nikolsburger Platz": a place without number is words
        return (first or not newline or bool(words.TIME_WORD.search(piece))) \
            and not (other_shape(piece) and re.search(r"\d|@|www", piece))
    return first


def other_shape(piece: str) -> bool:
    """A piece that is an address, an e-mail or a web address (not a phone or hours)."""
    return has_postcode(piece) or (is_street(piece) and bool(re.search(r"[^\W\d_]{3}", piece))
                                   and not words.TIME_WORD.search(piece.split()[0])) \
        or bool(words.EMAILISH.search(piece)) or bool(words.URLISH.match(piece))


def _separators(text: str) -> list[re.Match]:
    """The separators of `text` outside brackets: "(kostenfrei, rund um die Uhr)" is one."""
    depth = [0]
    for ch in text:
        depth.append(max(0, depth[-1] + (ch in "([{") - (ch in ")]}")))
    if depth[-1]:  # unbalanced: the brackets say nothing
        depth = [0] * len(depth)
    return [m for m in words.PIECE.finditer(text) if depth[m.start()] == 0 or "\n" in m.group(0)]


def _split_text(text: str, offset: int, out: list[Piece]) -> None:
    """Unlabelled text into pieces; a line of weekdays and times is hours ("Di. 09:00 – 12:00
    Uhr")."""
    at = 0
    for line in text.split("\n"):
        if words.HOURS_LINE.match(line.strip()):
            out.append(Piece(offset + at, "hours", line.strip()))
        else:
            _split_line(line, offset + at, out)
        at += len(line) + 1


def _split_line(text: str, offset: int, out: list[Piece]) -> None:
    """Pieces of one line; from a piece that opens with weekdays and times on, the rest of the
    line is hours ("Frau Muster, Tel. …, Mo–Fr 9–12 Uhr")."""
    for start, end in _segments(text):
        if words.HOURS_LINE.match(rest := text[start:].strip(" ,;:")):
            out.append(Piece(offset + start, "hours", rest.rstrip(".")))
            return
        piece = text[start:end].strip(" ,;:")
        if not (piece and re.search(r"\w", piece)):
            continue
        at = offset + start
        number = words.TRAILING_NUMBER.search(piece)
        head = piece[: number.start()].strip(" :") if number else ""
        care_of = words.CARE_OF.search(piece)
        if number and re.search(r"[^\W\d_]", head) and not has_postcode(piece):
            out.append(Piece(at, "text", head))
            out.append(Piece(at + number.start(), "text", number.group(0)))
        elif care_of:  # "Krisendienst c/o Bürgerhilfe": the name, then the address's extra
            out.append(Piece(at, "text", piece[: care_of.start()].strip()))
            out.append(Piece(at + care_of.start() + 1, "text", piece[care_of.start():].strip()))
        else:
            out.append(Piece(at, "text", piece))


def _segments(text: str) -> list[tuple[int, int]]:
    """(start, end) of the pieces between separators; a comma inside a name's enumeration
    ("Ehe-, Familien- und Lebensberatung") does not cut."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in [*_separators(text), None]:
        end = m.start() if m else len(text)
        if spans and text[spans[-1][1]:start].strip() == "," and _continues(
                text[spans[-1][0]:spans[-1][1]].strip(), text[start:end].strip()):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
        start = m.end() if m else end
    return spans


def _continues(before: str, after: str) -> bool:
    """True when a comma between `before` and `after` lies inside one name: a word cut with a
    hyphen ("Ehe-, Familien-"), or a list after "für" ("für Kinder, Jugendliche und Eltern")."""
    return before.endswith("-") or after.startswith("-") or (
        bool(words.LIST_OPENER.search(before)) and bool(words.ENUMERATION.match(after)))
