"""NAKOS GRÜNE ADRESSEN: nationwide self-help associations, internet forums and institutions.

A–Z list pages link to one profile page per entry; its "Kennzeichnung" prints the flags
("Selbsthilfeorganisation", "Dachverband", "Anonyme Gruppe", "Internetforum", "Institution"),
"Rubrik" the section, and a forum describes itself under "Forum" (`online_text`). A profile is
sometimes linked twice (`key@` and a "Steckbrief" link with `key%40`): one key, one fetch.
Crawling and fields: `scrapers.bases.nakos`.
"""

from scrapers.bases.nakos import NakosScraper


class NakosGruenScraper(NakosScraper):
    source_id = "nakos-gruen"
    kind = "organisation"
