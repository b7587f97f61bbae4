"""scrapers.bases.html: text cleaning, chrome removal, labelled values and e-mail de-obfuscation."""

import pytest
from selectolax.lexbor import LexborHTMLParser

from schema.normalise.emails import decode_cfemail, decode_typo3_uncrypt
from scrapers.bases.html import (
    absolute_url,
    clean_text,
    emails_in,
    labelled_values,
    node_text,
    remove_boilerplate,
)


def body(html: str):
    return LexborHTMLParser(f"<html><body>{html}</body></html>")


# ---------------------------------------------------------------------------- clean_text

def test_clean_text_collapses_every_kind_of_space():
    messy = "  Rathaus\u00a0straße\t6\n\n44649\u202fHerne  "
    assert clean_text(messy) == "Rathaus straße 6 44649 Herne"


def test_clean_text_drops_soft_hyphen_and_zero_width():
    assert clean_text("Williams-Beuren-\u00adSyn\u200bdrom\ufeff") == "Williams-Beuren-Syndrom"


def test_clean_text_of_nothing_is_empty():
    assert clean_text(None) == ""
    assert clean_text(" \u00a0\u200b ") == ""


# ----------------------------------------------------------------------------- node_text

def test_node_text_turns_br_and_blocks_into_lines():
    tree = body("<div><p>Rathausstraße 6<br>44649   Herne</p><p>Tel.\n 0 23 23</p></div>")
    assert node_text(tree.css_first("div")) == "Rathausstraße 6\n44649 Herne\nTel. 0 23 23"


def test_node_text_drops_script_style_and_comments():
    tree = body("<p>a<script>var x = 'b';</script><style>p{}</style><!-- c -->d</p>")
    assert node_text(tree.css_first("p")) == "ad"


def test_node_text_keeps_inline_words_together_and_separates_cells():
    tree = body("<table><tr><th>Telefon</th><td><b>0 23 23</b> / 16</td></tr></table>")
    assert node_text(tree.css_first("table")) == "Telefon 0 23 23 / 16"


def test_node_text_of_a_whole_document():
    tree = body("<h1>Titel</h1><ul><li>eins</li><li>zwei</li></ul>")
    assert node_text(tree) == "Titel\neins\nzwei"


# --------------------------------------------------------------------------- absolute_url

@pytest.mark.parametrize(("href", "expected"), [
    ("gruppe-1017.html", "https://www.herne.de/a/b/gruppe-1017.html"),
    ("../", "https://www.herne.de/a/"),
    ("\n  gruppe-1017.html#kontakt ", "https://www.herne.de/a/b/gruppe-1017.html#kontakt"),
    ("//cdn.example.org/x", "https://cdn.example.org/x"),
    ("http://www.wbs-ruhr.example", "http://www.wbs-ruhr.example"),
])
def test_absolute_url(href, expected):
    assert absolute_url("https://www.herne.de/a/b/index.html", href) == expected


# ---------------------------------------------------------------------- remove_boilerplate

CHROME_PAGE = """
<div class="cookie-banner">Diese Website verwendet Cookies.</div>
<header id="page-header"><a href="/">Logo Stadt</a></header>
<nav class="breadcrumb"><span>Sie befinden sich hier:</span> <a href="/">Startseite</a></nav>
<main>
  <article><header><h1>Gruppe X</h1></header>
  <div class="tools"><a href="javascript:window.print();" class="print">Seite drucken</a>
    <a href="#" onclick="return false">Drucken</a> <a href="x.html?type=98">PDF</a></div>
  <div id="navPath"><p>Sie befinden sich hier: <a href="/">Start</a> &gt; Gruppe X</p></div>
  <p>Inhalt bleibt.</p>
  <footer class="meta">Stand: 03/2025</footer>
  </article>
</main>
<footer id="page-footer">Impressum · Datenschutz</footer>
<script>track();</script>
"""


@pytest.fixture(scope="module")
def stripped() -> str:
    return node_text(remove_boilerplate(body(CHROME_PAGE)))


@pytest.mark.parametrize("chrome", [
    "Cookies", "Logo Stadt", "Sie befinden sich hier", "Startseite", "Start", "Seite drucken",
    "Drucken", "PDF", "Impressum", "track()",
])
def test_remove_boilerplate_drops_chrome(stripped, chrome):
    assert chrome not in stripped.splitlines()
    assert chrome not in stripped


def test_remove_boilerplate_keeps_content_and_the_article_header(stripped):
    assert stripped == "Gruppe X\nInhalt bleibt.\nStand: 03/2025"


def test_remove_boilerplate_does_not_swallow_content_around_loose_breadcrumb_text():
    tree = remove_boilerplate(body("<main>Sie befinden sich hier: Start<h1>Titel</h1></main>"))
    assert node_text(tree) == "Titel"


@pytest.mark.parametrize("label", ["Seite dru\u00adcken", "PRINT", "Druc\u212aversion",
                                   " Diese  Seite\n drucken "])
def test_print_links_go_however_their_text_is_written(label):
    """A page whose text names no print word skips reading each link's text; these spellings
    (soft hyphen, capitals, a Kelvin sign that casefolds to k, odd spaces) must not slip by."""
    tree = remove_boilerplate(body(f'<main><p>Inhalt</p><a href="#">{label}</a>'
                                   '<a href="x.html">Weitere Gruppen</a></main>'))
    assert node_text(tree) == "Inhalt\nWeitere Gruppen"


def test_links_stay_on_a_page_without_print_words():
    tree = remove_boilerplate(body('<main><p>Inhalt</p><a href="x.html">Druckerei Meyer</a>'
                                   '<button>Senden</button></main>'))
    assert node_text(tree) == "Inhalt\nDruckerei MeyerSenden"


def test_remove_boilerplate_returns_the_same_tree():
    tree = body("<p>x</p>")
    assert remove_boilerplate(tree) is tree


# ------------------------------------------------------------------------ labelled_values

def texts(values) -> dict[str, str]:
    return {key: node_text(node) for key, node in values.items()}


def test_labelled_values_from_definition_list():
    tree = body("<dl><dt>Treffen</dt><dd>jeden 2. Mittwoch</dd><dt>Telefon:</dt>"
                "<dd>0 23 23 / 16 - 36 36</dd><dd>0171 3920041</dd></dl>")
    assert texts(labelled_values(tree.body)) == {
        "treffen": "jeden 2. Mittwoch", "telefon": "0 23 23 / 16 - 36 36\n0171 3920041"}


def test_labelled_values_from_two_column_table():
    tree = body("<table><tr><th>Treffpunkt:</th><td>BüZ<br>Rathausstraße 6</td></tr>"
                "<tr><td>Ort</td><td>Herne</td></tr><tr><td colspan=2>Fußnote</td></tr></table>")
    assert texts(labelled_values(tree.body)) == {
        "treffpunkt": "BüZ\nRathausstraße 6", "ort": "Herne"}


def test_labelled_values_from_strong_labels_split_within_a_paragraph():
    tree = body("<p>Vorspann <b>Treffen:</b> montags, 19 Uhr<br><strong>Telefon</strong>: "
                "02323 16-3636<br><strong>E-Mail:</strong> <a href='mailto:a@b.de'>a@b.de</a></p>"
                "<p><strong>Wichtig</strong> kein Label</p>")
    values = labelled_values(tree.body)
    assert texts(values) == {"treffen": "montags, 19 Uhr", "telefon": "02323 16-3636",
                             "e-mail": "a@b.de"}
    assert emails_in(values["e-mail"]) == ["a@b.de"]


def test_labelled_values_ignores_long_first_cells():
    tree = body(f"<table><tr><td>{'lang ' * 20}</td><td>x</td></tr></table>")
    assert labelled_values(tree.body) == {}


# -------------------------------------------------------------------------- decode_cfemail

def test_decode_cfemail_known_vector():
    # key 0x2a; "x@y.de" XOR 0x2a = 52 6a 53 04 4e 4f
    assert decode_cfemail("2a526a53044e4f") == "x@y.de"


def test_decode_cfemail_utf8_local_part():
    assert decode_cfemail("91fb522de3f6f4ffd1f4e9f0fce1fdf4bffee3f6") == "jürgen@example.org"


@pytest.mark.parametrize("bad", ["", "2a", "zz1234", "2a5"])
def test_decode_cfemail_rejects_garbage(bad):
    with pytest.raises(ValueError):
        decode_cfemail(bad)


# ------------------------------------------------------------------------ TYPO3 uncrypt

TYPO3_RANGES = ((0x2B, 0x3A), (0x40, 0x5A), (0x61, 0x7A))


def typo3_encrypt(text: str, offset: int) -> str:
    """TYPO3's PHP encryptEmail/encryptCharcode, ported literally (single wrap)."""
    out = ""
    for ch in text:
        n = ord(ch)
        for start, end in TYPO3_RANGES:
            if start <= n <= end:
                n += offset
                if offset > 0 and n > end:
                    n = start + (n - end - 1)
                elif offset < 0 and n < start:
                    n = end - (start - n - 1)
                break
        out += chr(n)
    return out


def test_typo3_known_vector():
    assert decode_typo3_uncrypt("nbjmup+jogpAfybnqmf/psh", 1) == "mailto:info@example.org"


@pytest.mark.parametrize("offset", [o for o in range(-10, 11) if o])
def test_typo3_round_trip_including_wrap_at_range_ends(offset):
    plain = "mailto:zz.Za-9+AY@x_y.z:0"
    encrypted = typo3_encrypt(plain, offset)
    assert encrypted != plain
    assert decode_typo3_uncrypt(encrypted, offset) == plain


def test_typo3_wraps_colon_to_plus_and_z_to_a():
    assert typo3_encrypt(":z", 1) == "+a"
    assert decode_typo3_uncrypt("+a", 1) == ":z"


# ---------------------------------------------------------------------------- emails_in

def test_emails_in_mailto_drops_query_and_splits_lists():
    tree = body('<a href="mailto:a@example.org,b@example.org?subject=Hallo">schreiben</a>')
    assert emails_in(tree) == ["a@example.org", "b@example.org"]


def test_emails_in_ignores_empty_share_mailto():
    tree = body('<a href="mailto:?subject=Tipp&amp;body=https%3A%2F%2Fx">Seite empfehlen</a>')
    assert emails_in(tree) == []


def test_emails_in_cloudflare_span_inside_protection_link_once():
    tree = body('<a href="/cdn-cgi/l/email-protection#2a526a53044e4f">'
                '<span class="__cf_email__" data-cfemail="2a526a53044e4f">[email&#160;protected]'
                "</span></a>")
    assert emails_in(tree) == ["x@y.de"]


def test_emails_in_typo3_js_link_plain_and_percent_encoded():
    plain = "javascript:linkTo_UnCryptMailto('nbjmup+jogpAfybnqmf/psh');"
    encoded = "javascript:linkTo_UnCryptMailto(%27ocknvq%2Cdwgb%42jgtpg%30fg%27);"
    tree = body(f'<a href="{plain}">info(at)remove-this.example.org</a>'
                f'<a href="{encoded}">buez(at)herne.de</a>')
    assert emails_in(tree) == ["info@example.org", "buez@herne.de"]


def test_emails_in_typo3_data_token():
    token = typo3_encrypt("mailto:kontakt@shg-herne.example", 3)
    tree = body(f'<a href="#" data-mailto-token="{token}" data-mailto-vector="3">Kontakt</a>')
    assert emails_in(tree) == ["kontakt@shg-herne.example"]


def test_emails_in_visible_text_keeps_at_spelling_and_drops_remove_this():
    tree = body("<p>Mail: aa-herne(at)example.org oder info [at] shg-herne.example.</p>"
                "<p>auch hilfe@remove-this.example.org</p>")
    assert emails_in(tree) == ["aa-herne(at)example.org", "info [at] shg-herne.example",
                               "hilfe@example.org"]


def test_emails_in_reports_each_address_once_and_ignores_scripts():
    tree = body('<p><a href="mailto:buez@herne.de">buez@herne.de</a> buez@herne.de</p>'
                "<script>var spam = 'bot@example.org';</script>")
    assert emails_in(tree) == ["buez@herne.de"]


def test_emails_in_leaves_the_tree_untouched():
    tree = body('<p><a href="mailto:buez@herne.de">buez@herne.de</a></p>')
    emails_in(tree)
    assert tree.css_first("a").attributes == {"href": "mailto:buez@herne.de"}


def test_emails_in_skips_broken_cfemail_without_failing():
    assert emails_in(body('<span data-cfemail="zz">[email protected]</span>')) == []
