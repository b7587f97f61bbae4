"""Write the three sample directory files that contact centres might send, with the hazards
the importer must survive. All names, addresses and domains are invented; landline numbers
come from the ranges the Bundesnetzagentur keeps free for fiction (030 23125, 040 66969,
069 90009, 0221 4710, 089 99998), so they are valid but reach nobody.

    .venv/bin/python snapshots/files/make_samples.py

- kontaktstellen-beispiel.csv: Excel's German "CSV (Trennzeichen-getrennt)": semicolons,
  Windows-1252, CRLF; a centre's branch under the same id; a postcode in the city column;
  an e-mail in the web column and a web address in the e-mail column; one row's contact data
  copied into another; hours as text and per weekday that disagree; rows without id or name.
- gruppen-beispiel.xlsx: a notes sheet before the data sheet, a title above the header, ids
  and postcodes as numbers (one has lost its leading zero), a second meeting place in "_2"
  columns, two phone columns, topics in one cell, copied contact data, a row without id.
- einrichtungen-beispiel.json: records nested under data.einrichtungen, branches as a list,
  a numeric id, hours as text and per weekday (one disagreeing), values in wrong fields.
"""

import json
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).parent

CSV_HEADER = ["Nr", "Einrichtung", "Träger", "Straße", "PLZ", "Ort", "Stadtteil", "Telefon",
              "E-Mail", "Internet", "Sprechzeiten", "Mo", "Di", "Mi", "Do", "Fr"]
CSV_ROWS = [
    ["KS-101", "Selbsthilfe-Kontaktstelle Musterstadt", "Verein „Miteinander“ e. V.",
     "Lindenstraße 12", "12345", "Musterstadt", "Innenstadt", "(0 30) 2 31 25-100",
     "kontakt@selbsthilfe-musterstadt.example.org", "www.selbsthilfe-musterstadt.example.org",
     "Mo, Di 9-12 Uhr; Do 14-17 Uhr", "9-12", "9-12", "", "14-17", ""],
    ["KS-101", "Selbsthilfe-Kontaktstelle Musterstadt – Außenstelle Nord",
     "Verein „Miteinander“ e. V.", "Birkenweg 3", "12347", "Musterstadt", "Nordviertel",
     "030 23125-120", "nord@selbsthilfe-musterstadt.example.org",
     "www.selbsthilfe-musterstadt.example.org", "Mi 10-13 Uhr", "", "", "10-13", "", ""],
    ["KS-102", "Selbsthilfebüro Beispielhausen", "Gesundheitsladen Beispielhausen e. V.",
     "Marktplatz 5", "", "23456 Beispielhausen", "", "0 69 / 9 00 09 - 200", "",
     "info@selbsthilfebuero-beispielhausen.example.org", "Di und Do 10-12 Uhr",
     "", "10-12", "", "10-12", ""],
    ["KS-103", "Kontaktstelle für Selbsthilfe Grünau", "Stadt Grünau, Gesundheitsamt",
     "Am Anger 7", "34567", "Grünau", "", "040 66969 300", "selbsthilfe@gruenau.example.org",
     "https://www.gruenau.example.org/selbsthilfe", "Mo-Fr 9-12 Uhr, Mi 14-18 Uhr",
     "9-12", "9-12", "9-12, 14-16", "9-12", "9-12"],
    ["KS-104", "Selbsthilfe-Treffpunkt Altstadt", "Treffpunkt Altstadt e. V.", "Kirchgasse 2",
     "34568", "Grünau", "Altstadt", "040 66969 300", "selbsthilfe@gruenau.example.org",
     "www.treffpunkt-altstadt.example.org", "", "", "", "", "", ""],
    ["KS-105", "Selbsthilfezentrum Überbach", "Sozialwerk Überbach e. V.", "Weißdornweg 21",
     "45678", "Überbach", "", "0221 4710 400", "www.shz-ueberbach.example.org", "",
     "nach Vereinbarung", "", "", "", "", ""],
    ["", "Gesprächskreis Ölmühle", "Sozialwerk Überbach e. V.", "Ölmühlenweg 1", "45679",
     "Überbach", "", "0221 4710 401", "", "", "", "", "", "", "", ""],
    ["KS-106", "", "Sozialwerk Überbach e. V.", "Weißdornweg 23", "45678", "Überbach", "",
     "0221 4710 402", "", "", "", "", "", "", "", ""],
    ["KS-107", "Selbsthilfe-Kontaktstelle Weißenfeld", "Weißenfelder Selbsthilfe e. V.",
     "Schloßstraße 4", "56789", "Weißenfeld", "", "089 / 9 99 98 - 500",
     "kontakt@selbsthilfe-weissenfeld.example.org", "www.selbsthilfe-weissenfeld.example.org",
     "", "9-12", "", "", "15-18", ""],
]

XLSX_HEADER = ["ID", "Gruppe", "Themen", "Treffen", "Treffpunkt", "PLZ", "Ort", "Treffen_2",
               "Treffpunkt_2", "PLZ_2", "Ort_2", "Ansprechperson", "Telefon", "Telefon 2",
               "E-Mail", "Homepage", "Online"]
XLSX_ROWS = [
    [101, "Angehörigengruppe Demenz", "Demenz, Angehörige", "jeden 2. Mittwoch im Monat, 18 Uhr",
     "Bürgerhaus Süd, Lindenstraße 40", 12345, "Musterstadt",
     "jeden 4. Mittwoch im Monat, 18 Uhr", "Gemeindehaus Nord, Birkenweg 9", 12347,
     "Musterstadt", "Erika Beispiel", "030 23125 610", None, "demenz-angehoerige@example.org",
     None, None],
    [102, "Gesprächskreis Sucht und Familie", "Sucht, Angehörige",
     "14-tägig dienstags, 19:30 Uhr", "Kontaktstelle, Lindenstraße 12", 12345, "Musterstadt",
     None, None, None, None, None, "(0 30) 2 31 25-100", None, None, None, None],
    [103, "Selbsthilfegruppe Schlafapnoe Beispielhausen", "Schlafapnoe",
     "Termine und Treffpunkte in der Kontaktstelle erfragen", None, None,
     "23456 Beispielhausen", None, None, None, None, None, "0171 2345678", None,
     "schlafapnoe-bh@example.org", "schlafapnoe-bh@example.org", None],
    [104, "Trauercafé Lichtblick", "Trauer", "letzter Freitag im Monat, 16 Uhr",
     "Café am Markt, Marktplatz 1", 34567, "Grünau", None, None, None, None, "Max Mustermann",
     "040 66969 620", "0160 1234567", "trauercafe@example.org", "https://trauercafe.example.org",
     None],
    [105, "Online-Gruppe Long Covid", "Long Covid, Fatigue", "jeden Montag, 20 Uhr", None, None,
     None, None, None, None, None, None, None, None, "longcovid-online@example.org", None,
     "nur online (Videokonferenz)"],
    [106, "Selbsthilfegruppe Tinnitus", "Tinnitus, Hörbehinderung",
     "erster Dienstag im Monat, 18:30 Uhr", "Bürgerhaus Süd, Lindenstraße 40", 12345,
     "Musterstadt", None, None, None, None, None, "040 66969 620", None,
     "trauercafe@example.org", None, None],
    [107, "Stammtisch Multiple Sklerose", "Multiple Sklerose",
     "erster Donnerstag im Monat, 17 Uhr", "Gasthaus Linde, Hauptstraße 3", 4711,
     "Beispieldorf", None, None, None, None, None, "089 99998 630", None, None, None, None],
    [None, "Gruppe in Gründung: Endometriose", "Endometriose", "Termine erfragen", None, None,
     None, None, None, None, None, None, "(0 30) 2 31 25-100", None, None, None, None],
]

JSON_DOCUMENT = {
    "herausgeber": "Landesnetzwerk Selbsthilfe Beispielland (erfunden)",
    "stand": "2026-10-01",
    "data": {"einrichtungen": [
        {"kennung": "LV-01", "bezeichnung": "Landesverband Schlafstörungen Beispielland e. V.",
         "typ": "Landesverband",
         "anschrift": {"strasse": "Hauptstraße 10", "plz": "12345", "ort": "Musterstadt"},
         "kontakt": {"telefon": ["030 23125 700", "030 23125 701"],
                     "email": "info@lv-schlaf.example.org", "web": "https://lv-schlaf.example.org"},
         "themen": ["Schlafapnoe", "Schlafstörungen"],
         "oeffnungszeiten": {"text": "Mo-Do 9-15 Uhr", "wochentage": {
             "montag": "09:00-15:00", "dienstag": "09:00-15:00", "mittwoch": "09:00-15:00",
             "donnerstag": "09:00-15:00"}},
         "aussenstellen": []},
        {"kennung": "LV-02", "bezeichnung": "Landesvereinigung Selbsthilfe Rheuma Beispielland",
         "typ": "Landesverband",
         "anschrift": {"strasse": "Am Ring 5", "plz": "23456", "ort": "Beispielhausen"},
         "kontakt": {"telefon": "069 90009 710", "email": "post@rheuma-bl.example.org",
                     "web": "www.rheuma-bl.example.org"},
         "themen": ["Rheuma"],
         "oeffnungszeiten": {"text": "Mo, Mi 10-16 Uhr",
                             "wochentage": {"Mo": "10-16", "Mi": "10-16"}},
         "aussenstellen": [
             {"nr": "N", "bezeichnung": "Rheuma Beispielland – Regionalbüro Nord",
              "typ": "Außenstelle",
              "anschrift": {"strasse": "Nordstraße 1", "plz": "23460", "ort": "Nordhafen"},
              "kontakt": {"telefon": "069 90009 711", "email": "nord@rheuma-bl.example.org"},
              "oeffnungszeiten": {"text": "Di 10-12 Uhr",
                                  "wochentage": {"Di": "10-12"}}},
             {"nr": "S", "typ": "Außenstelle",
              "anschrift": {"strasse": "Südweg 9", "plz": "23470", "ort": "Südheim"},
              "kontakt": {"telefon": "069 90009 712"}},
         ]},
        {"kennung": "LV-03", "bezeichnung": "Arbeitsgemeinschaft Tinnitus Beispielland",
         "typ": "Arbeitsgemeinschaft",
         "anschrift": {"strasse": "Lindenallee 3", "plz": "34567", "ort": "Grünau"},
         "kontakt": {"telefon": "040 66969 720", "email": "ag@tinnitus-bl.example.org"},
         "themen": ["Tinnitus", "Hörbehinderung"],
         "oeffnungszeiten": {"text": "Mo, Mi, Fr 10-14 Uhr", "wochentage": {
             "montag": ["10:00-14:00"], "mittwoch": ["10:00-14:00"], "freitag": ["10:00-12:00"]}}},
        {"kennung": "LV-04", "bezeichnung": "Verband der Angehörigen psychisch Erkrankter "
                                            "Beispielland",
         "typ": "Landesverband",
         "anschrift": {"strasse": "Parkstraße 8", "ort": "45678 Überbach"},
         "kontakt": {"telefon": "0221 4710 730", "web": "post@angehoerige-bl.example.org"},
         "themen": ["Angehörige", "psychische Erkrankungen"]},
        {"kennung": 5, "bezeichnung": "Beispielländische Diabetes-Selbsthilfe",
         "typ": "Landesverband",
         "anschrift": {"strasse": "Zuckerweg 2", "plz": 56789, "ort": "Weißenfeld"},
         "kontakt": {"telefon": "030 23125 700", "email": "info@lv-schlaf.example.org"},
         "themen": ["Diabetes"]},
        {"bezeichnung": "Arbeitskreis ohne Kennung", "typ": "Arbeitskreis",
         "anschrift": {"strasse": "Bahnhofstraße 1", "plz": "12345", "ort": "Musterstadt"}},
    ]},
}


def write_csv(path: Path) -> None:
    """Excel's German CSV: semicolons, Windows-1252, CRLF, quotes only where needed."""
    def cell(value: str) -> str:
        return f'"{value}"' if any(c in value for c in ';"\n') else value
    lines = [";".join(cell(v) for v in row) for row in [CSV_HEADER, *CSV_ROWS]]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1252"))


def write_xlsx(path: Path) -> None:
    book = Workbook()
    notes = book.active
    notes.title = "Hinweise"
    notes.append(["Stand 1. Oktober 2026. Bitte Änderungen an die Kontaktstelle melden."])
    sheet = book.create_sheet("Gruppen")
    sheet.append(["Selbsthilfegruppen im Landkreis Beispiel – Stand: 1. Oktober 2026"])
    sheet.append([])
    for row in [XLSX_HEADER, *XLSX_ROWS]:
        sheet.append(row)
    book.save(path)


def write_json(path: Path) -> None:
    path.write_text(json.dumps(JSON_DOCUMENT, ensure_ascii=False, indent=2) + "\n", "utf-8")


if __name__ == "__main__":
    write_csv(HERE / "kontaktstellen-beispiel.csv")
    write_xlsx(HERE / "gruppen-beispiel.xlsx")
    write_json(HERE / "einrichtungen-beispiel.json")
