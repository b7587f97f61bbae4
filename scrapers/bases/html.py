"""Helpers every HTML source shares, so a source module stays a list of selectors; and
`LabelledDetail`, for pages that print fields as "Label: value" pairs (a <dl>, a two-column
table or <strong> labels), as most municipal CMSs show a group: a source names its labels
once (`labels`: printed label -> `ScrapedRecord` field) and gets a whole record.

Everything here works on `selectolax.lexbor` trees (selectolax 1.0 has only the Lexbor parser)
and returns raw strings: whitespace and page chrome are removed, nothing is normalised. E-mail
de-obfuscation lives here and not in `schema` because it needs the markup (attributes, JS links)
that a `ScrapedRecord` no longer has.
"""

import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import unquote, urldefrag, urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

# The de-obfuscation algorithms live in `schema.normalise.emails`; here their payloads are found.
from schema.normalise.emails import (
    AT,
    DOT,
    TYPO3_INSERT,
    decode_cfemail,
    uncrypt_typo3_mailto,
)
from schema.records import ScrapedRecord
from scrapers.bases.base import Page
from scrapers.errors import FieldError
from scrapers.fetch.crawl import unfetchable

Tree = LexborHTMLParser | LexborNode

# ---------------------------------------------------------------------------------------- text

_INVISIBLE_CHARS = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARS), None)
_SPACES = re.compile(r"\s+")  # str patterns: \s covers nbsp, narrow nbsp, thin space, ...

_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "caption", "dd", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6",
    "header", "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody",
    "tfoot", "thead", "tr", "ul",
})
_CELL_TAGS = frozenset({"td", "th"})
_DROP_TAGS = frozenset({"script", "style", "noscript", "template", "-comment"})


def clean_text(s: str | None) -> str:
    """Collapse every kind of whitespace to one space and drop soft hyphens / zero-width
    characters, which CMS editors paste in invisibly and which break string equality."""
    if not s:
        return ""
    return _SPACES.sub(" ", s.translate(_INVISIBLE)).strip()


def node_text(node: Tree) -> str:
    """Visible text of `node`, one line per block or <br>: selectolax's `.text()` glues
    "Rathausstraße 6<br>44649 Herne" into one word, and lines tell street from town."""
    root = node.root if isinstance(node, LexborHTMLParser) else node
    if root is None:
        return ""
    if root.tag == "-text":
        return clean_text(root.text_content)
    # Depth-first along first-child / next-sibling links with an explicit stack, not
    # recursion: a page nesting a few thousand <b> or <div> must not overflow Python's stack.
    parts: list[str] = []
    stack: list[tuple[LexborNode | None, str]] = [(root.child, "")]  # (next node, closing)
    while stack:
        child, closing = stack[-1]
        if child is None:  # this level is done: close its block or cell
            stack.pop()
            parts.append(closing)
            continue
        stack[-1] = (child.next, closing)
        tag = child.tag
        if tag == "-text":
            parts.append(_SPACES.sub(" ", child.text_content or ""))
        elif tag == "br":
            parts.append("\n")
        elif tag not in _DROP_TAGS:
            sep = "\n" if tag in _BLOCK_TAGS else " " if tag in _CELL_TAGS else ""
            parts.append(sep)
            stack.append((child.child, sep))
    lines = (clean_text(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def absolute_url(base: str, href: str) -> str:
    """`href` resolved against the page URL; CMS templates wrap hrefs in spaces and newlines.
    An href no URL parser accepts ("http://[", a port beyond 65535) comes back as printed:
    it is a raw value for the normaliser, not a reason to lose the page."""
    href = clean_text(href).replace(" ", "%20")
    try:
        return urljoin(base, href)
    except ValueError:
        return href


def link_url(base: str, href: str | None) -> str | None:
    """`href` as an absolute http(s) URL without fragment that the client can request, or None.
    Crawlers follow only these: mailto:, javascript:, `//:0` or a broken host are text on a
    page, not pages. An empty href is no link (it would resolve to the page itself)."""
    if not href or not clean_text(href):
        return None
    try:
        url = urldefrag(absolute_url(base, href)).url
    except ValueError:  # a broken IPv6 literal
        return None
    return None if unfetchable(url) else url


def links(base: str, tree: Tree, selector: str | None) -> Iterator[str]:
    """`link_url` of every <a> matching `selector` (none without a selector), in page order."""
    for a in tree.css(selector) if selector else ():
        if url := link_url(base, a.attributes.get("href")):
            yield url


# ---------------------------------------------------------------------------------- chrome

_CHROME_SELECTORS = ", ".join((
    "script", "style", "noscript", "template", "nav", "[role=navigation]",
    ".breadcrumb", ".breadcrumbs", "[class*=breadcrumb]", "[id*=breadcrumb]",
    "[aria-label*=breadcrumb i]", "[aria-label*=brotkrume i]",
    ".print", ".drucken", ".druckversion", "a[href*='window.print']",
    "a[href*='type=98']", "a[href*='print=1']", "a[href*=druckversion i]",
    "[class*=cookie]", "[id*=cookie]", "[class*=consent]", "[id*=consent]",
    ".skiplinks", ".skiplink", "[class*=skip-link]",
))
_PAGE_FRAME = ("header", "footer", "[role=banner]", "[role=contentinfo]")
_PRINT_WORDS = frozenset({"drucken", "seite drucken", "diese seite drucken", "druckversion",
                          "druckansicht", "print"})
#: Every print word contains one of these.
_PRINT_STEMS = ("druck", "print")
_CHROME_PHRASES = ("sie befinden sich hier", "sie sind hier")
_CHROME_PHRASE_HINT = re.compile(r"sie\s+(?:befinden\s+sich|sind)\s+hier", re.IGNORECASE)
_WRAPPER_TAGS = frozenset({"div", "p", "span", "ol", "ul", "li", "strong", "em", "small", "b"})


def _ancestors(node: LexborNode) -> Iterator[LexborNode]:
    while (node := node.parent) is not None:
        yield node


def _decompose_each(tree: Tree, selector: str, keep=lambda node: False) -> None:
    """Remove every match in one query. Only the outermost matches are decomposed: removing an
    outer node frees its descendants, and touching a freed node would crash."""
    victims = [n for n in tree.css(selector) if not keep(n)]
    ids = {n.mem_id for n in victims}
    outermost = [n for n in victims if not any(a.mem_id in ids for a in _ancestors(n))]
    for node in outermost:  # decided first, then removed
        node.decompose()


def _may_hold_print_word(text: str) -> bool:
    """Whether some link in a tree with this text may read as a print word: a link's text is
    a stretch of its tree's, so without a stem of one (the common case) no link's own text
    needs reading. Invisible characters, dropped by clean_text inside a word, leave it open."""
    if any(ch in text for ch in _INVISIBLE_CHARS):
        return True
    folded = text.casefold()
    return any(stem in folded for stem in _PRINT_STEMS)


def remove_boilerplate(tree: Tree) -> Tree:
    """Strip page chrome in place (and return the tree); a <header> inside <main>/<article>
    stays (it often holds the h1). Not before list selectors: an A–Z bar is a <nav> too."""
    _decompose_each(tree, _CHROME_SELECTORS)
    _decompose_each(tree, ", ".join(_PAGE_FRAME),
                    keep=lambda n: any(a.tag in ("main", "article") for a in _ancestors(n)))
    root = tree.root if isinstance(tree, LexborHTMLParser) else tree
    if root is None:
        return tree
    text = root.text() or ""
    if _may_hold_print_word(text):
        _decompose_each(tree, "a, button",
                        keep=lambda n: clean_text(n.text()).casefold() not in _PRINT_WORDS)
        text = root.text() or ""
    if not _CHROME_PHRASE_HINT.search(text):
        return tree  # the common case: no breadcrumb text left to hunt for node by node
    while (block := _phrase_block(root)) is not None:
        block.decompose()
    return tree


def _phrase_block(root: LexborNode) -> LexborNode | None:
    """The largest small block around a "Sie befinden sich hier" text, for breadcrumbs that
    carry no telling class; None when there is none left."""
    for node in root.traverse(include_text=True):
        if node.tag != "-text":
            continue
        if not clean_text(node.text_content).casefold().startswith(_CHROME_PHRASES):
            continue
        if not _is_chrome_wrapper(node.parent):
            return node  # loose text right inside the content: drop the text alone
        block = node.parent
        while _is_chrome_wrapper(block.parent):
            block = block.parent
        return block
    return None


def _is_chrome_wrapper(node: LexborNode | None) -> bool:
    """Whether `node` may go together with the breadcrumb it wraps: a small inline or list
    block holding no heading, definition list or table, so real content is never lost."""
    return (node is not None and node.tag in _WRAPPER_TAGS
            and node.css_first("h1, h2, h3, h4, h5, h6, dl, table, main, article") is None
            and len(clean_text(node.text())) < 300)


# ------------------------------------------------------------------------ labelled values

_LABEL_MAX = 40


def _fragments(groups: list[list[str]]) -> list[LexborNode]:
    """One detached node per group of HTML pieces, all parsed as one document: a parse per
    value would cost more than the whole page."""
    html = "".join("<div>" + "".join(f"<div>{p}</div>" for p in g) + "</div>" for g in groups)
    nodes = LexborHTMLParser(f"<body>{html}</body>").css("body > div")
    if len(nodes) != len(groups) and len(groups) > 1:  # a piece broke out of its wrapper
        return [node for g in groups for node in _fragments([g])]
    return nodes


def _colon_after(node: LexborNode) -> bool:
    """Whether the text right after `node` starts with a colon ("<b>Ort</b>: …")."""
    follow = node.next
    return (follow is not None and follow.tag == "-text"
            and clean_text(follow.text_content).startswith(":"))


def labelled_values(root: Tree) -> dict[str, LexborNode]:
    """Label (casefolded, no colon) -> value node for the three ways CMS pages print "Label:
    value": <dl>, two-column table rows and <strong>/<b> labels (several per paragraph)."""
    found: dict[str, list[str]] = {}

    def add(label: str, html: str) -> None:
        key = clean_text(label).rstrip(":").strip().casefold()
        if key and len(key) <= _LABEL_MAX:
            found.setdefault(key, []).append(html)

    for dt in root.css("dt"):
        sib = dt.next
        while sib is not None and sib.tag != "dt":
            if sib.tag == "dd":
                add(dt.text(), sib.inner_html or "")
            sib = sib.next
    for tr in root.css("tr"):
        cells = [c for c in tr.iter() if c.tag in _CELL_TAGS]
        if len(cells) == 2:
            add(cells[0].text(), cells[1].inner_html or "")
    for parent in root.css("p, li, div, td, dd"):
        label, value = None, []
        for child in parent.iter(include_text=True):
            tag = child.tag
            text = clean_text(child.text()) if tag in ("strong", "b") else ""
            if text and (text.endswith(":") or _colon_after(child)):
                if label is not None:
                    add(label, "".join(value))
                label, value = text, []
            elif label is not None:
                html = child.html or ""
                if not value and tag == "-text":
                    html = html.lstrip().removeprefix(":")
                value.append(html)
        if label is not None:
            add(label, "".join(value))
    return dict(zip(found, _fragments(list(found.values())), strict=True))


# --------------------------------------------------------------------------------- e-mail

_TYPO3_JS = re.compile(r"""linkTo_UnCryptMailto\(\s*['"](.*?)['"]""", re.DOTALL)
_CF_HREF = "/cdn-cgi/l/email-protection#"
_EMAIL_TEXT = re.compile(rf"[\w.+-]+{AT}[\w-]+(?:{DOT}[\w-]+)+", re.IGNORECASE)
_EMAIL_HINT = re.compile(AT, re.IGNORECASE)


def _mailto_addresses(target: str) -> list[str]:
    target = unquote(target).split("?", 1)[0]
    return [a.strip() for a in target.split(",") if a.strip()]


def _link_emails(el: LexborNode) -> list[str]:
    attrs = el.attributes
    href = (attrs.get("href") or "").strip()
    if hex_string := attrs.get("data-cfemail"):
        return [decode_cfemail(hex_string)]
    if _CF_HREF in href:
        return [decode_cfemail(href.split("#", 1)[1])]
    if token := attrs.get("data-mailto-token"):  # TYPO3 >= 10 renders the token as attribute
        return _mailto_addresses(uncrypt_typo3_mailto(token) or "")
    if href[:7].lower() == "mailto:":
        return _mailto_addresses(href[7:])
    if match := _TYPO3_JS.search(unquote(href)):
        return _mailto_addresses(uncrypt_typo3_mailto(match.group(1)) or "")
    return []


def emails_in(node: Tree) -> list[str]:
    """Raw e-mails in `node`, decoded from links where the markup hides them, then from the
    rest of the text; a decoded link's text is not read again (it shows the address garbled)."""
    root = node.root if isinstance(node, LexborHTMLParser) else node
    if root is None:
        return []
    work = root.clone()
    found: dict[str, None] = {}
    for el in work.css("a[href], [data-cfemail], [data-mailto-token]"):
        try:
            addresses = _link_emails(el)
        except ValueError:  # a broken cfemail hex: leave the element to the text scan
            continue
        for address in addresses:
            found.setdefault(address.replace(TYPO3_INSERT, ""), None)
        if addresses:
            el.attrs["data-shg-decoded"] = "1"
    _decompose_each(work, "[data-shg-decoded]")
    if not _EMAIL_HINT.search(work.text() or ""):
        return list(found)  # no address left in the text: skip the line-aware text walk
    for match in _EMAIL_TEXT.finditer(node_text(work)):
        found.setdefault(match.group(0).replace(TYPO3_INSERT, ""), None)
    return list(found)


# ------------------------------------------------------------------------ labelled records

#: Labels most German self-help pages print; sources extend or override this table.
COMMON_LABELS: dict[str, str] = {
    "thema": "topics", "themen": "topics", "themenbereich": "topics", "themenbereiche": "topics",
    "treffen": "meeting_text", "treffzeiten": "meeting_text", "termine": "meeting_text",
    "treffpunkt": "address_text", "ort": "address_text", "anschrift": "address_text",
    "adresse": "address_text",
    "sprechstunde": "hours_text", "öffnungszeiten": "hours_text", "sprechzeiten": "hours_text",
    "ansprechpartner": "contact_person", "ansprechpartnerin": "contact_person",
    "ansprechpartner/in": "contact_person", "kontaktperson": "contact_person",
    "telefon": "phones_text", "tel.": "phones_text", "mobil": "phones_text",
    "kontakttelefon": "phones_text",
    "internet": "web_text", "homepage": "web_text", "webseite": "web_text",
    "träger": "carrier", "verband": "carrier",
    "barrierefreiheit": "accessibility_text", "barrierefrei": "accessibility_text",
}
LIST_FIELDS = frozenset({"topics", "phones_text", "web_text"})
#: Fields read from a value's links (absolute) where it has any: web sites, a parent's page.
LINK_FIELDS = frozenset({"web_text", "parent_key"})
#: A "place" that only says where to ask for it: that is a meeting note, not an address.
ON_REQUEST_PLACE = re.compile(
    r"^(?:\W*(?:ort|treffpunkt|treffort|räume?)?\s*(?:auf\s+anfrage|nach\s+(?:telefonischer\s+)?"
    r"(?:vereinbarung|absprache)|(?:\S+\s+){0,6}erfragen|wird\s+bei\s+anmeldung\s+"
    r"mitgeteilt)\W*)$", re.IGNORECASE)


def labelled_fields(node: Tree, labels: dict[str, str], base_url: str,
                    list_fields: frozenset[str] = LIST_FIELDS, *, on_request: bool = True
                    ) -> dict[str, Any]:
    """`ScrapedRecord` fields from the "Label: value" pairs under `node`. With `on_request`, a
    place "auf Anfrage" moves to meeting_text, where the normaliser reads it as on request."""
    fields: dict[str, Any] = {}
    for label, value in labelled_values(node).items():
        if (field := labels.get(label)) is None:
            continue
        lines = emails_in(value) if field == "emails_text" else node_text(value).splitlines()
        if field in LINK_FIELDS:
            lines = [absolute_url(base_url, a.attributes.get("href") or "")
                     for a in value.css("a[href]")] or lines
        if field in list_fields:
            fields[field] = [*fields.get(field, []), *lines]
        elif lines:
            fields.setdefault(field, "\n".join(lines))
    place = fields.get("address_text")
    if on_request and place and ON_REQUEST_PLACE.match(place.replace("\n", " ")):
        del fields["address_text"]
        fields["meeting_text"] = "\n".join(filter(None, [fields.get("meeting_text"), place]))
    return fields


class LabelledDetail:
    content_selector: ClassVar[str] = "main, #content, #inhalt"
    #: The name of a record: the first match in its content (or block).
    name_selector: ClassVar[str] = "h1"
    description_selector: ClassVar[str | None] = None
    labels: ClassVar[dict[str, str]] = COMMON_LABELS
    source_id: ClassVar[str]

    def labelled_record(self, page: Page, node: Tree | None = None, **fixed: Any
                        ) -> ScrapedRecord:
        """The record of one page's content column, or of `node` (a group block). A block's
        name is read before its chrome is removed: its heading often sits in a <header>."""
        if node is None:
            node = remove_boilerplate(page.html()).css_first(self.content_selector)
            heading = node.css_first(self.name_selector) if node is not None else None
        else:
            heading = node.css_first(self.name_selector)
            node = remove_boilerplate(node.clone() if isinstance(node, LexborNode) else node)
        if node is None or heading is None or not (name := node_text(heading)):
            raise FieldError("name", f"no heading {self.name_selector!r} in {page.url}")
        fields = labelled_fields(node, self.labels, page.url)
        description = (node.css_first(self.description_selector)
                       if self.description_selector else None)
        return ScrapedRecord(
            source_id=self.source_id, source_url=page.url, fetched_at=page.fetched_at,
            content_hash=page.sha256, name=name,
            description=(node_text(description) or None) if description is not None else None,
            emails_text=emails_in(node), **(fields | fixed),
        )
