import codecs

import pytest

from scrapers.fetch.decoding import decode, sniff_encoding

UMLAUTS = "Angehörige – Straße „Treff“ 5 €"


@pytest.mark.parametrize(("body", "header", "expected"), [
    # declared only in a meta tag, Windows-1252 bytes
    (f'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">{UMLAUTS}'
     .encode("cp1252"), "text/html", "cp1252"),
    (f'<meta charset="windows-1252">{UMLAUTS}'.encode("cp1252"), None, "cp1252"),
    # no declaration at all
    (UMLAUTS.encode("utf-8"), "text/html", "utf-8"),
    (UMLAUTS.encode("cp1252"), "text/html", "cp1252"),
    # wrong declarations
    (UMLAUTS.encode("cp1252"), "text/html; charset=utf-8", "cp1252"),
    (UMLAUTS.encode("utf-8"), "text/html; charset=ISO-8859-1", "utf-8"),
    # byte order mark wins
    (codecs.BOM_UTF8 + UMLAUTS.encode("utf-8"), "text/html; charset=iso-8859-1", "utf-8-sig"),
])
def test_sniff(body, header, expected):
    assert sniff_encoding(body, header) == expected
    text, _ = decode(body, header)
    assert UMLAUTS in text


def test_unknown_label_falls_back_safely():
    text, enc = decode('<meta charset="x-klingon">Straße'.encode("cp1252"), None)
    assert enc == "cp1252" and "Straße" in text
