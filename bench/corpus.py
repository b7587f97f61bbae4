"""Deterministic synthetic corpus: N directory sites × M groups, written straight to WARC.

Each source gets its own random stream (`Random(f"bench:{seed}:{index}")`), so a source's pages
do not depend on how many sources are generated, and the same seed gives the same bytes. The
pages go through `scrapers.fetch.warc.WarcArchive`, the writer the live client uses, so the replay
transport reads exactly the record shape a real run leaves behind.
"""

from __future__ import annotations

import hashlib
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape
from pathlib import Path

import httpx
from warcio.archiveiterator import ArchiveIterator

from bench import pages, vocab
from bench.pages import CENTRE_PATH, LIST_PATH, Centre, Group, Site
from scrapers.fetch.http import USER_AGENT
from scrapers.fetch.warc import WarcArchive

#: Every response carries this Date header, so the HTTP part of a record is deterministic too.
HTTP_DATE = "Mon, 16 Nov 2026 02:00:00 GMT"


@dataclass(frozen=True)
class SourceSpec:
    """What the stages need to know about one generated source."""

    source_id: str
    host: str
    city: str
    start_url: str
    groups: int
    warc: Path
    pages: int
    bytes: int


def source_id(index: int) -> str:
    return f"bench-{index:03d}"


# ------------------------------------------------------------------------- phone numbers


def _pairs(digits: str) -> str:
    """"163636" -> "16 36 36"; odd lengths keep a single digit in front."""
    head = len(digits) % 2
    parts = ([digits[:head]] if head else []) + [digits[i:i + 2]
                                                 for i in range(head, len(digits), 2)]
    return " ".join(parts)


def landline(rng: random.Random, area: str) -> str:
    """A number in one of the layouts German sites print; the digits are always valid."""
    length = 7 if len(area) <= 3 else (6 if len(area) == 4 else rng.choice((5, 6)))
    sub = str(rng.randint(2, 9)) + "".join(rng.choice("0123456789") for _ in range(length - 1))
    style = rng.randrange(9)
    if style == 0:  # "0 23 23 / 16 - 36 36"
        return f"0 {_pairs(area[1:])} / {sub[:2]} - {_pairs(sub[2:])}"
    if style == 1:  # "(0211) 89 92 244"
        return f"({area}) {sub[:2]} {sub[2:4]} {sub[4:]}"
    if style == 2:
        return f"{area} {sub}"
    if style == 3:  # DIN 5008 with an extension-like dash
        return f"{area} {sub[:2]}-{sub[2:]}"
    if style == 4:
        return f"{area}/{sub}"
    if style == 5:
        return f"+49 {area[1:]} {sub}"
    if style == 6:
        return f"+49 (0){area[1:]} {_pairs(sub)}"
    if style == 7:
        return f"{area} - {_pairs(sub)}"
    return f"{area} / {sub}"


def mobile(rng: random.Random) -> str:
    prefix = rng.choice(("0151", "0152", "0157", "0160", "0170", "0171", "0172", "0175",
                         "0176", "0177", "0178", "0179"))
    length = 8 if prefix.startswith("015") or prefix in ("0176", "0177", "0178", "0179") else 7
    sub = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789") for _ in range(length - 1))
    style = rng.randrange(4)
    if style == 0:
        return f"{prefix} {sub}"
    if style == 1:
        return f"{prefix} / {sub}"
    if style == 2:
        return f"+49 {prefix[1:]} {sub}"
    return f"{prefix} - {sub[:3]} {sub[3:]}"


# ---------------------------------------------------------------------------------- e-mail


def _typo3_encrypt(plain: str, offset: int = 1) -> str:
    """TYPO3 spamProtectEmailAddresses: shift within "+-:" / "@-Z" / "a-z", wrapping."""
    out = []
    for ch in plain:
        n = ord(ch)
        for start, end in ((0x2B, 0x3A), (0x40, 0x5A), (0x61, 0x7A)):
            if start <= n <= end:
                ch = chr(start + (n - start + offset) % (end - start + 1))
                break
        out.append(ch)
    return "".join(out)


def _cfemail(address: str, key: int) -> str:
    return f"{key:02x}" + "".join(f"{b ^ key:02x}" for b in address.encode("utf-8"))


def email_html(rng: random.Random, address: str) -> str:
    """One address in one of the obfuscations municipal sites use."""
    style = rng.random()
    if style < 0.6:
        return f'<a href="mailto:{address}">{address}</a>'
    if style < 0.75:
        local, domain = address.split("@")
        return f"{local}(at){domain}"
    if style < 0.87:
        hexed = _cfemail(address, rng.randint(16, 250))
        return (f'<a href="/cdn-cgi/l/email-protection#{hexed}"><span class="__cf_email__" '
                f'data-cfemail="{hexed}">[email&#160;protected]</span></a>')
    local, domain = address.split("@")
    token = _typo3_encrypt(f"mailto:{address}")
    return (f"<a href=\"javascript:linkTo_UnCryptMailto('{token}');\" title=\"E-Mail senden\">"
            f"{local}@remove-this.{domain}</a>")


def _slug(value: str) -> str:
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "ı": "i", "ş": "s"})
    words = "".join(c if c.isalnum() else " " for c in value.lower().translate(table)).split()
    slug = words[0] if words else ""
    for word in words[1:]:  # whole words only, at most 40 characters: a domain label
        if len(slug) + 1 + len(word) > 40:
            break
        slug += "-" + word
    return slug[:40]


# ---------------------------------------------------------------------------------- groups


def _time(rng: random.Random) -> str:
    hour = rng.choice((10, 14, 15, 16, 17, 18, 18, 19, 19, 20))
    return rng.choice((f"{hour} Uhr", f"{hour}.30 Uhr", f"{hour}:00 Uhr",
                       f"{hour}:30–{hour + 2}:00 Uhr", f"ab {hour} Uhr", f"{hour}-{hour + 2} Uhr"))


def meeting_text(rng: random.Random) -> str:
    day, days = rng.choice(vocab.WEEKDAYS)
    other = rng.choice(vocab.WEEKDAYS)[1]
    n, first = rng.randint(1, 4), rng.randint(1, 2)
    options = (
        f"jeden {n}. {day} im Monat, {_time(rng)}",
        f"jeden {first}. und {first + 2}. {day} im Monat, {_time(rng)}",
        f"jeden letzten {day} im Monat, {_time(rng)}",
        f"{days}, {_time(rng)}",
        f"{days} und {other}, {_time(rng)}",
        f"14-tägig {days} {_time(rng)}",
        f"wöchentlich {days}, {_time(rng)}",
        "Termine im Büro erfragen",
        "Termine und Treffpunkte in der Kontaktstelle erfragen",
        "zweimal im Jahr, Termine nach Absprache",
        f"online per Videokonferenz, jeden {n}. {day} im Monat, {_time(rng)}",
    )
    weights = (20, 8, 8, 10, 5, 6, 5, 6, 4, 2, 2)
    return rng.choices(options, weights)[0]


def _address_lines(rng: random.Random, city: vocab.City) -> list[str]:
    number = str(rng.randint(1, 180))
    roll = rng.random()
    if roll < 0.2:
        number += rng.choice("abc")
    elif roll < 0.25:
        number += f"-{int(number) + 2}"
    elif roll < 0.28:
        number += " " + rng.choice("ab")
    place = rng.choice(city.postcodes)
    town = city.name if rng.random() < 0.85 else f"{city.name}-{rng.choice(city.districts)}"
    lines = [f"{rng.choice(vocab.STREETS)} {number}", f"{place} {town}"]
    if rng.random() < 0.65:
        lines.insert(0, rng.choice(vocab.VENUES))
    if rng.random() < 0.05:
        lines.append("Eingang über den Hof")
    return lines


def _person(rng: random.Random) -> str:
    roll = rng.random()
    first, last = rng.choice(vocab.FIRST_NAMES), rng.choice(vocab.SURNAMES)
    if roll < 0.35:
        return f"{rng.choice(('Frau', 'Herr'))} {last}"
    if roll < 0.6:
        return first
    if roll < 0.75:
        return f"{first} {last[0]}."
    if roll < 0.85:
        return f"{first} {last}"
    return "über die Kontaktstelle"


def make_group(rng: random.Random, key: str, city: vocab.City, centre_phone: str) -> Group:
    topic = rng.choice(vocab.TOPICS)
    district = rng.choice(city.districts)
    pattern = rng.choice(topic.names + vocab.GENERIC_NAMES[: 1 + rng.randrange(3)])
    name = pattern.format(city=city.name, district=district, topic=topic.label)
    name_html = escape(name, quote=False)
    if rng.random() < 0.03:  # CMS editors paste soft hyphens and no-break spaces
        name_html = name_html.replace(" ", "&nbsp;", 1).replace("-", "-&shy;", 1)
    title = name if topic.label.split(" ")[0] in name else f"{topic.label} – {name}"
    areas = (topic.area,)
    if rng.random() < 0.12:
        areas += (rng.choice(("gesundheitsbezogene Themen", "Lebensbewältigung/Soziales")),)
    about = (*topic.about[: rng.randint(1, len(topic.about))],
             *rng.sample(vocab.GENERIC_ABOUT, rng.randint(0, 2)))
    meeting = meeting_text(rng)
    on_request = "erfragen" in meeting or "Absprache" in meeting
    br = "<br>" if rng.random() < 0.7 else ", "
    rows: list[tuple[str, str]] = [(rng.choice(("Treffen", "Treffzeiten")),
                                    escape(meeting, quote=False))]
    if not on_request and rng.random() < 0.93:
        lines = _address_lines(rng, city)
        rows.append((rng.choice(("Treffpunkt", "Treffpunkt", "Ort", "Anschrift")),
                     br.join(escape(line, quote=False) for line in lines)))
    if rng.random() < 0.25:
        hours = rng.choice(("nach telefonischer Vereinbarung",
                            f"jeden {rng.randint(1, 4)}. Montag im Monat, 16-17 Uhr",
                            "Mo, Di 9-12 Uhr", "Beratung in der Kontaktstelle nach Vereinbarung"))
        rows.append((rng.choice(("Sprechstunde", "Sprechzeiten")), hours))
    if rng.random() < 0.3 and topic.carriers:
        rows.append((rng.choice(("Träger", "Verband")), escape(rng.choice(topic.carriers),
                                                              quote=False)))
    person = _person(rng) if rng.random() < 0.6 else None
    if person:
        rows.append((rng.choice(("Kontakt", "Ansprechpartner", "Ansprechpartnerin")), person))
    phone_roll = rng.random()
    if phone_roll < 0.55:
        rows.append((rng.choice(("Telefon", "Telefon", "Tel.", "Kontakttelefon")),
                     landline(rng, city.area_code)))
    elif phone_roll < 0.7:
        rows.append(("Telefon", f"{landline(rng, city.area_code)}<br>{mobile(rng)}"))
    elif phone_roll < 0.82:
        rows.append(("Mobil", mobile(rng)))
    elif phone_roll < 0.92:
        rows.append(("Telefon", f"{centre_phone} (Kontaktstelle)"))
    slug = _slug(name)
    if rng.random() < 0.75:
        if rng.random() < 0.4:
            local = _slug(person or topic.label).replace("-", ".") or "kontakt"
            address = f"{local}{rng.randint(1, 99)}@{rng.choice(vocab.FREEMAIL)}"
        else:
            address = f"{rng.choice(('kontakt', 'info', 'gruppe'))}@{slug}.example.org"
        rows.append(("E-Mail", email_html(rng, address)))
    if rng.random() < 0.3:
        url = f"https://www.{slug}.example.org/" + rng.choice(("", "gruppen/", "termine.html"))
        rows.append((rng.choice(("Internet", "Homepage")),
                     f'<a href="{url}" target="_blank" rel="noopener">'
                     f"{url.removeprefix('https://').rstrip('/')}</a>"))
    return Group(
        key=key, name_html=name_html, list_title=title,
        hint=rng.choice((None,) * 8 + ("(neu)", "(Beratung in der Kontaktstelle)")),
        areas=areas, area_colon_inside=rng.random() < 0.85, about=about,
        about_style=rng.choices(("div", "intro", "none"), (60, 30, 10))[0],
        layout=rng.choices(("dl", "table", "p"), (50, 35, 15))[0],
        rows=tuple(rows), header_wrapped=rng.random() < 0.8, cp1252=rng.random() < 0.05,
        topic=topic.label,
    )


def make_centre(rng: random.Random, site: Site, city: vocab.City, phone: str) -> Centre:
    street = f"{rng.choice(vocab.STREETS)} {rng.randint(1, 60)}"
    fax = phone[:-1] + str((int(phone[-1]) + 1) % 10)
    carrier = rng.choice(vocab.CENTRE_CARRIERS).format(city=city.name)
    return Centre(
        name=site.centre_name,
        subtitle=f"Kontakt- und Informationsstelle für Selbsthilfe in {city.name}",
        about=(f"Die Kontaktstelle informiert über Selbsthilfe in {city.name}, vermittelt "
               "Interessierte an passende Gruppen und unterstützt Menschen, die eine neue Gruppe "
               "gründen möchten – mit Räumen, Beratung und Öffentlichkeitsarbeit.",),
        rows=(("Anschrift", f"{escape(street, quote=False)}<br>{site.postcode} {city.name}"),
              ("Telefon", phone), ("Telefax", fax),
              ("E-Mail", f'<a href="mailto:selbsthilfe@{site.host}">selbsthilfe@{site.host}</a>'),
              ("Öffnungszeiten", "Mo, Di 9-12, 13.30 bis 15.30 Uhr, donnerstags 9-12 und "
                                 "14 bis 16 Uhr"),
              ("Träger", escape(carrier, quote=False))),
    )


def source_pages(seed: int, index: int, listings: int) -> Iterator[tuple[str, str, bytes]]:
    """(url, content type, body) of every page of source `index`, in a fixed order."""
    rng = random.Random(f"bench:{seed}:{index}")
    city = vocab.CITIES[index % len(vocab.CITIES)]
    host = f"{source_id(index)}.example.de"
    site = Site(host=host, city=city.name, postcode=rng.choice(city.postcodes),
                centre_name=rng.choice(vocab.CENTRE_NAMES).format(city=city.name))
    centre_phone = landline(rng, city.area_code)
    key = 1000 + rng.randrange(500)
    groups = []
    for _ in range(listings):
        key += rng.randint(1, 9)
        groups.append(make_group(rng, str(key), city, centre_phone))
    refs = [(" – ".join(reversed(g.list_title.split(" – "))), g)  # listed a second time
            for g in rng.sample(groups, min(len(groups), max(1, listings // 50)))
            if " – " in g.list_title]
    html_type, origin = "text/html; charset=utf-8", site.origin
    yield f"{origin}/robots.txt", "text/plain; charset=utf-8", pages.ROBOTS_TXT.encode()
    lists = pages.list_pages(site, groups, refs)
    yield f"{origin}{LIST_PATH}", html_type, lists[""].encode()
    yield f"{origin}{LIST_PATH}index.html", html_type, lists[""].encode()
    yield f"{origin}{LIST_PATH}index-n-z.html", html_type, lists["index-n-z.html"].encode()
    for g in groups:
        body = pages.detail_page(site, g)
        url = f"{origin}{LIST_PATH}gruppe-{g.key}.html"
        if g.cp1252:  # older template: charset only in <meta>, the rest as &#...; references
            yield url, "text/html", body.encode("cp1252", "xmlcharrefreplace")
        else:
            yield url, html_type, body.encode()
    centre = make_centre(rng, site, city, centre_phone)
    yield f"{origin}{CENTRE_PATH}", html_type, pages.centre_page(site, centre).encode()


def _response(url: str, content_type: str, body: bytes) -> httpx.Response:
    request = httpx.Request("GET", url, headers={"User-Agent": USER_AGENT,
                                                 "Accept-Language": "de,en;q=0.5"})
    return httpx.Response(200, request=request, content=body, headers={
        "Content-Type": content_type, "Date": HTTP_DATE, "Server": "Apache",
    })


def generate(out: Path, *, sources: int, listings: int, seed: int) -> list[SourceSpec]:
    """Write one `<source id>.warc.gz` per source into `out` (emptied first)."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    specs = []
    for index in range(sources):
        sid = source_id(index)
        archive = WarcArchive(out / f"{sid}.warc.gz")
        count = size = 0
        try:
            for url, content_type, body in source_pages(seed, index, listings):
                archive.write_exchange(url, _response(url, content_type, body), body)
                count, size = count + 1, size + len(body)
        finally:
            archive.close()
        city = vocab.CITIES[index % len(vocab.CITIES)]
        specs.append(SourceSpec(sid, f"{sid}.example.de", city.name,
                                f"https://{sid}.example.de{LIST_PATH}", listings,
                                out / f"{sid}.warc.gz", count, size))
    return specs


def page_digests(folder: Path) -> dict[str, str]:
    """sha256 of status, HTTP headers and body per archived URL; WARC dates and record ids
    are left out, so two generations with one seed compare equal."""
    digests = {}
    for path in sorted(folder.glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for record in ArchiveIterator(fh):
                if record.rec_type != "response":
                    continue
                h = hashlib.sha256(record.http_headers.to_str().encode())
                h.update(record.content_stream().read())
                digests[record.rec_headers.get_header("WARC-Target-URI")] = h.hexdigest()
    return digests
