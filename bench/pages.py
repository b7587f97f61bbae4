"""HTML of a synthetic directory site in the layout of the Herne fixture (tests/fixtures/herne).

The page chrome (cookie banner, header navigation, breadcrumb, sidebar, footer, scripts) is
rendered in full on every page because removing it is part of what the parser pays for; a
benchmark on bare contact blocks would flatter it. Contact blocks come in the fixture's three
layouts (<dl>, <table>, <p><strong>), which `scrapers.bases.html.labelled_values` reads alike.
"""

from dataclasses import dataclass
from html import escape
from typing import Literal

Layout = Literal["dl", "table", "p"]

#: Path of the A–Z list below the host; the centre page is its parent (HerneScraper.centre_path).
LIST_PATH = "/Gesundheit/Selbsthilfe/Selbsthilfegruppen/"
CENTRE_PATH = "/Gesundheit/Selbsthilfe/"


def text(value: str) -> str:
    """Text node content: entities for &, <, >."""
    return escape(value, quote=False)


def attr(value: str) -> str:
    return escape(value, quote=True)


@dataclass(frozen=True)
class Site:
    host: str
    city: str
    postcode: str
    centre_name: str

    @property
    def origin(self) -> str:
        return f"https://{self.host}"


@dataclass(frozen=True)
class Group:
    """One group's detail page as the CMS prints it; values are ready-made HTML fragments."""

    key: str
    name_html: str
    list_title: str
    hint: str | None
    areas: tuple[str, ...]
    area_colon_inside: bool
    about: tuple[str, ...]
    about_style: Literal["div", "intro", "none"]
    layout: Layout
    rows: tuple[tuple[str, str], ...]  # (label, value HTML)
    header_wrapped: bool
    cp1252: bool
    topic: str = ""  # the topic label: what a topic-list site files the group under


@dataclass(frozen=True)
class Centre:
    name: str
    subtitle: str
    about: tuple[str, ...]
    rows: tuple[tuple[str, str], ...]


def _head(site: Site, title: str, url: str, body_id: str, cp1252: bool) -> str:
    charset = ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
               if cp1252 else '<meta charset="utf-8">')
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
{charset}
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{text(title)} | Stadt {text(site.city)}</title>
<link rel="stylesheet" href="/typo3conf/ext/stadtportal/Resources/Public/Css/main.css">
<link rel="canonical" href="{attr(url)}">
</head>
<body id="{body_id}">
<div id="cookie-hint" class="cookie-banner" role="dialog" aria-label="Cookie-Einstellungen">
  <p>Diese Website verwendet technisch notwendige Cookies und – mit Ihrer Einwilligung –
  Cookies für eine anonyme Besuchsstatistik. Mehr dazu in der
  <a href="/Datenschutz/">Datenschutzerklärung</a>.</p>
  <button type="button" class="cookie-accept">Alle akzeptieren</button>
  <button type="button" class="cookie-deny">Nur notwendige Cookies</button>
</div>
<a class="skiplink" href="#content">Zum Inhalt springen</a>
<header id="page-header">
  <a href="/" class="logo"><img src="/typo3conf/ext/stadtportal/Resources/Public/Images/logo.svg" alt="Stadt {attr(site.city)} – zur Startseite" width="180" height="60"></a>
  <nav id="mainnav" aria-label="Hauptnavigation">
    <ul>
      <li><a href="/Rathaus/">Rathaus &amp; Politik</a></li>
      <li><a href="/Leben/">Leben in {text(site.city)}</a></li>
      <li class="active"><a href="/Gesundheit/">Gesundheit</a></li>
      <li><a href="/Soziales/">Soziales &amp; Familie</a></li>
      <li><a href="/Wirtschaft/">Wirtschaft</a></li>
    </ul>
  </nav>
  <form class="search" action="/suche/" method="get"><label for="q">Suche</label><input id="q" name="q" type="search"><button type="submit">Suchen</button></form>
</header>
"""  # noqa: E501 - a page template reads best one tag per line


def _breadcrumb(crumbs: list[tuple[str, str | None]]) -> str:
    items = "".join(f'<li><a href="{attr(href)}">{text(label)}</a></li>' if href
                    else f'<li aria-current="page">{text(label)}</li>' for label, href in crumbs)
    return f"""<nav class="breadcrumb" aria-label="Brotkrumennavigation">
  <span class="breadcrumb-hint">Sie befinden sich hier:</span>
  <ol>{items}</ol>
</nav>
<div id="wrapper">
<main id="content">
"""


def _tools(url: str) -> str:
    return f"""<div class="page-tools">
  <a href="javascript:window.print();" class="print" title="Diese Seite drucken">Seite drucken</a>
  <a href="mailto:?subject=Empfehlung&amp;body={attr(url)}" class="share">Seite empfehlen</a>
</div>
"""


def _tail(site: Site) -> str:
    return f"""</main>
<aside class="sidebar">
  <div class="box contact-box">
    <h2>Ihr Kontakt</h2>
    <p>{text(site.centre_name)}<br>Rathausplatz 1<br>{site.postcode} {text(site.city)}</p>
    <p>Telefon: siehe Kontaktseite<br><a href="mailto:selbsthilfe@{site.host}">selbsthilfe@{site.host}</a></p>
  </div>
  <div class="box">
    <h2>Auch interessant</h2>
    <ul><li><a href="/Gesundheit/Gesundheitsamt/">Gesundheitsamt</a></li>
    <li><a href="/Gesundheit/Psychiatriekoordination/">Psychiatriekoordination</a></li></ul>
  </div>
</aside>
</div>
<footer id="page-footer">
  <div class="footer-address">
    <p><strong>Stadt {text(site.city)}</strong><br>Rathausplatz 1<br>{site.postcode} {text(site.city)}</p>
    <p>E-Mail: <a href="mailto:info@{site.host}">info@{site.host}</a></p>
  </div>
  <ul class="footer-links">
    <li><a href="/Impressum/">Impressum</a></li>
    <li><a href="/Datenschutz/">Datenschutz</a></li>
    <li><a href="/Barrierefreiheit/">Erklärung zur Barrierefreiheit</a></li>
  </ul>
  <p class="copyright">© Stadt {text(site.city)}</p>
</footer>
<script src="/typo3temp/assets/js/site.min.js"></script>
<script>
  /* TYPO3 e-mail protection */
  function decryptCharcode(n,start,end,offset){{n=n+offset;if(offset>0&&n>end){{n=start+(n-end-1);}}else if(offset<0&&n<start){{n=end-(start-n-1);}}return String.fromCharCode(n);}}
  function linkTo_UnCryptMailto(s){{location.href=decryptString(s,-1);}}
</script>
</body>
</html>
"""  # noqa: E501


def contact_block(layout: Layout, rows: tuple[tuple[str, str], ...]) -> str:
    if layout == "dl":
        body = "".join(f"  <dt>{text(label)}</dt>\n  <dd>{value}</dd>\n" for label, value in rows)
        return f'<dl class="kontakt">\n{body}</dl>\n'
    if layout == "table":
        body = "".join(f'  <tr><th scope="row">{text(label)}:</th><td>{value}</td></tr>\n'
                       for label, value in rows)
        return (f'<table class="kontakt">\n  <caption>Kontaktdaten der Gruppe</caption>\n'
                f"{body}</table>\n")
    paragraphs, pending = [], []
    for i, (label, value) in enumerate(rows):  # pairs share a paragraph, split by <br>
        pending.append(f"<strong>{text(label)}:</strong> {value}")
        if i % 3 != 1 or i == len(rows) - 1:
            paragraphs.append("<p>" + "<br>".join(pending) + "</p>")
            pending = []
    return '<div class="kontakt">\n' + "\n".join(paragraphs) + "\n</div>\n"


def detail_page(site: Site, group: Group) -> str:
    url = f"{site.origin}{LIST_PATH}gruppe-{group.key}.html"
    title = group.list_title
    h1 = f"<h1>{group.name_html}</h1>"
    if group.header_wrapped:
        h1 = f'<header class="article-header">{h1}</header>'
    areas = "<br>".join(text(a) for a in group.areas)
    label = ("<strong>Themenbereich:</strong>" if group.area_colon_inside
             else "<strong>Themenbereich</strong>:")
    about = ""
    if group.about_style == "div":
        about = ('<div class="beschreibung">\n'
                 + "".join(f"<p>{text(p)}</p>\n" for p in group.about) + "</div>\n")
    elif group.about_style == "intro":
        about = f'<p class="intro">{text(" ".join(group.about))}</p>\n'
    return (
        _head(site, title, url, f"uid-{group.key}", group.cp1252)
        + _breadcrumb([("Startseite", "/"), ("Gesundheit", "/Gesundheit/"),
                       ("Selbsthilfe", CENTRE_PATH), ("Selbsthilfegruppen im Überblick", LIST_PATH),
                       (title, None)])
        + _tools(url)
        + f'<article class="gruppe" id="gruppe-{group.key}">\n{h1}\n'
        + f'<p class="themenbereich">{label} {areas}</p>\n{about}'
        + '<h2 id="kontakt">Treffen und Kontakt</h2>\n'
        + contact_block(group.layout, group.rows)
        + '<p class="back"><a href="./">Zurück zur Übersicht</a></p>\n</article>\n'
        + _tail(site)
    )


def _letter(title: str) -> str:
    first = title[:1].upper()
    return {"Ä": "A", "Ö": "O", "Ü": "U"}.get(first, first)


def list_pages(site: Site, groups: list[Group],
               cross_refs: list[tuple[str, Group]]) -> dict[str, str]:
    """The A–M and N–Z list pages, keyed by path below LIST_PATH ("" and "index-n-z.html").

    `cross_refs` are extra entries ("Psychisch erkrankte Menschen – siehe …") that link to a
    group already listed under another letter, with a #kontakt fragment, as the fixture does.
    """
    entries = [(g.list_title, f"gruppe-{g.key}.html", g.hint) for g in groups]
    entries += [(title, f"gruppe-{g.key}.html#kontakt", f"– siehe {g.list_title}")
                for title, g in cross_refs]
    entries.sort(key=lambda e: (_letter(e[0]), e[0].casefold()))
    halves = {"": [e for e in entries if _letter(e[0]) < "N"],
              "index-n-z.html": [e for e in entries if _letter(e[0]) >= "N"]}
    letters = {_letter(e[0]) for e in entries}
    pages = {}
    for path, part in halves.items():
        here = {_letter(e[0]) for e in part}
        bar = []
        for code in range(ord("A"), ord("Z") + 1):
            ch = chr(code)
            if ch not in letters:
                bar.append(f'<li><span class="inaktiv">{ch}</span></li>')
            elif ch in here:
                bar.append(f'<li><a href="#buchstabe-{ch}">{ch}</a></li>')
            else:
                other = "index-n-z.html" if path == "" else "index.html"
                bar.append(f'<li><a href="{other}#buchstabe-{ch}">{ch}</a></li>')
        hint = ('Buchstaben A bis M – weiter mit <a href="index-n-z.html">N bis Z</a>'
                if path == ""
                else 'Buchstaben N bis Z – zurück zu <a href="index.html">A bis M</a>')
        body, current = [], None
        for title, href, note in part:
            if _letter(title) != current:
                if current is not None:
                    body.append("</ul>")
                current = _letter(title)
                body.append(f'<h2 id="buchstabe-{current}">{current}</h2>\n<ul class="az-liste">')
            span = f' <span class="hinweis">{text(note)}</span>' if note else ""
            body.append(f'  <li><a href="{attr(href)}">{text(title)}</a>{span}</li>')
        if current is not None:
            body.append("</ul>")
        url = f"{site.origin}{LIST_PATH}{path}"
        pages[path] = (
            _head(site, "Selbsthilfegruppen im Überblick", url, "uid-1000", False)
            + _breadcrumb([("Startseite", "/"), ("Gesundheit", "/Gesundheit/"),
                           ("Selbsthilfe", CENTRE_PATH), ("Selbsthilfegruppen im Überblick", None)])
            + _tools(url)
            + "<h1>Selbsthilfegruppen im Überblick</h1>\n"
            + f'<p class="intro">Hier finden Sie die Selbsthilfegruppen, die mit der '
              f'{text(site.centre_name)} zusammenarbeiten, alphabetisch nach Themen. Wenn kein '
              f'Treffpunkt genannt ist, vermittelt die <a href="../">Kontaktstelle</a>.</p>\n'
            + '<nav class="az-nav" aria-label="Gruppen von A bis Z">\n<ul>\n'
            + "\n".join(bar) + "\n</ul>\n</nav>\n"
            + f'<p class="seitenhinweis">{hint}</p>\n'
            + "\n".join(body) + "\n"
            + _tail(site)
        )
    return pages


def centre_page(site: Site, centre: Centre) -> str:
    url = f"{site.origin}{CENTRE_PATH}"
    rows = "".join(f"  <dt>{text(label)}</dt>\n  <dd>{value}</dd>\n"
                   for label, value in centre.rows)
    about = "".join(f"<p>{text(p)}</p>\n" for p in centre.about)
    return (
        _head(site, centre.name, url, "uid-900", False)
        + _breadcrumb([("Startseite", "/"), ("Gesundheit", "/Gesundheit/"),
                       ("Selbsthilfe", None)])
        + _tools(url)
        + f"<h1>{text(centre.name)}</h1>\n"
        + f'<p class="untertitel">{text(centre.subtitle)}</p>\n'
        + f'<div class="beschreibung">\n{about}<p>Eine Übersicht aller Gruppen finden Sie unter\n'
          '<a href="Selbsthilfegruppen/">Selbsthilfegruppen im Überblick</a>.</p>\n</div>\n'
        + f'<h2>Kontakt</h2>\n<dl class="kontakt vcard">\n{rows}</dl>\n'
        + "<p>Die Räume sind barrierefrei erreichbar.</p>\n"
        + _tail(site)
    )


ROBOTS_TXT = """# robots.txt (synthetic benchmark site)
User-agent: *
Disallow: /intern/
Disallow: /suche/
Disallow: /typo3/
Allow: /Gesundheit/
"""
