"""HTML of a synthetic topic-list site in the layout of the Düsseldorf fixture
(tests/fixtures/duesseldorf): an index whose "menu of subpages" links one page per topic, each
topic page showing its groups inline as TYPO3 content elements (`id="c<uid>"`, the key), a group
filed under two topics appearing on both pages, and the contact centre one level up. Read by
`scrapers.sources.duesseldorf.DuesseldorfScraper`, so the topic-list base is exercised at scale.
"""

from __future__ import annotations

from dataclasses import dataclass

from bench.pages import Centre, Group, Site, attr, contact_block, text

INDEX_PATH = "/gesundheit/selbsthilfe/gruppen/"
CENTRE_PATH = "/gesundheit/selbsthilfe/"


@dataclass(frozen=True)
class Topic:
    slug: str
    label: str
    cp1252: bool  # an old template: charset only in <meta>


def _page(site: Site, title: str, crumbs: str, body: str, cp1252: bool = False) -> str:
    charset = ('<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
               if cp1252 else '<meta charset="utf-8">')
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
{charset}
<meta name="generator" content="TYPO3 CMS">
<title>{text(title)} | {text(site.city)}</title>
</head>
<body id="top">
<a class="skip-link" href="#main">Direkt zum Inhalt</a>
<div class="cookie-consent" id="cookie-consent" role="dialog" aria-label="Cookie-Hinweis">
  <p>Wir verwenden nur technisch notwendige Cookies.</p><button type="button">Verstanden</button>
</div>
<header class="page-header">
  <a class="logo" href="/"><img src="/logo.svg" alt="{attr(site.city)} – zur Startseite"></a>
  <nav class="mainnav" aria-label="Hauptnavigation"><ul><li><a href="/rathaus">Rathaus</a></li>
  <li class="active"><a href="/gesundheit">Gesundheit</a></li><li><a href="/soziales">Soziales</a></li></ul></nav>
</header>
<nav class="breadcrumb" aria-label="Brotkrümelnavigation"><p class="breadcrumb__label">Sie sind hier:</p>
  <ol><li><a href="/">Startseite</a></li>{crumbs}</ol></nav>
<div class="page">
<main id="main" class="content">
<div class="page-tools"><a href="javascript:window.print();" class="print" title="Seite drucken">Seite drucken</a></div>
{body}</main>
</div>
<footer class="page-footer">
  <ul class="footer-links"><li><a href="/impressum">Impressum</a></li><li><a href="/datenschutz">Datenschutz</a></li></ul>
  <p class="copyright">© {text(site.city)}</p>
</footer>
</body>
</html>
"""  # noqa: E501 - a page template reads best one tag per line


def index_page(site: Site, topics: list[Topic]) -> str:
    links = "\n".join(
        f'  <li><a href="{INDEX_PATH}{t.slug}/" title="Selbsthilfegruppen zum Thema '
        f'{attr(t.label)}"><span>{text(t.label)}</span></a></li>' for t in topics)
    body = (f'<div id="c1001" class="frame frame-default frame-type-header">\n'
            f"  <header><h1>Selbsthilfegruppen nach Themen</h1></header>\n</div>\n"
            f'<div id="c1003" class="frame frame-default frame-type-menu_subpages">\n'
            f"  <header><h2>Themen von A bis Z</h2></header>\n  <ul>\n{links}\n  </ul>\n</div>\n")
    return _page(site, "Selbsthilfegruppen nach Themen",
                 f'<li><a href="{CENTRE_PATH}">Selbsthilfe</a></li>'
                 '<li aria-current="page">Selbsthilfegruppen</li>', body)


def group_block(group: Group) -> str:
    about = "".join(f"<p>{text(p)}</p>" for p in group.about)
    about = f'  <div class="ce-bodytext">{about}</div>\n' if group.about_style != "none" else ""
    return (f'<div id="c{group.key}" class="frame frame-default frame-type-shg_gruppe '
            f'frame-layout-0">\n  <header><h3 class="shg-titel">{group.name_html}</h3></header>\n'
            f"{about}{contact_block(group.layout, group.rows)}"
            '  <p class="frame-backtotop"><a href="#top">nach oben</a></p>\n</div>\n')


def topic_page(site: Site, topic: Topic, groups: list[Group]) -> str:
    body = (f'<div id="c2001" class="frame frame-default frame-type-header">\n'
            f"  <header><h1>Selbsthilfegruppen zum Thema {text(topic.label)}</h1></header>\n"
            "</div>\n" + "".join(group_block(g) for g in groups))
    return _page(site, f"Selbsthilfegruppen zum Thema {topic.label}",
                 f'<li><a href="{INDEX_PATH}">Selbsthilfegruppen</a></li>'
                 f'<li aria-current="page">{text(topic.label)}</li>', body, topic.cp1252)


def centre_page(site: Site, centre: Centre) -> str:
    rows = "".join(f"  <dt>{text(label)}</dt>\n  <dd>{value}</dd>\n"
                   for label, value in centre.rows)
    about = "".join(f"<p>{text(p)}</p>" for p in centre.about)
    body = (f'<div id="c900" class="frame frame-default frame-type-text">\n'
            f"  <header><h1>{text(centre.name)}</h1></header>\n"
            f'  <div class="ce-bodytext">{about}<p>Zu den <a href="gruppen/">Selbsthilfegruppen '
            f"nach Themen</a>.</p></div>\n"
            f'  <dl class="kontakt">\n{rows}  </dl>\n</div>\n')
    return _page(site, centre.name, '<li aria-current="page">Selbsthilfe</li>', body)
