"""`shg new-source ID --base BASE`: a new source from templates — the module, its registry
entry (withheld until its licence is known), a small fixture site and a test module that
passes out of the box, so a maintainer starts from green and edits selectors."""

import re
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from schema.registry import load_registry

TEMPLATES = Path(__file__).with_name("templates")
BASES = sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_SAMPLES = (("101", "Gesprächskreis Beispiel", "Sucht", "jeden 2. Mittwoch im Monat, 18 Uhr",
             "kontakt@example.org"),
            ("102", "Selbsthilfegruppe Muster", "Diabetes", "14-tägig dienstags 19-21 Uhr",
             "muster@example.org"))


class ScaffoldError(ValueError):
    pass


def new_source(root: Path, source_id: str, base: str, start_url: str | None = None,
               name: str | None = None) -> list[Path]:
    if not _ID.match(source_id):
        raise ScaffoldError(f"source id {source_id!r}: lower-case letters, digits and dashes")
    if base not in BASES:
        raise ScaffoldError(f"unknown base {base!r}; known: {', '.join(BASES)}")
    registry_path = root / "sources.toml"
    if source_id in load_registry(registry_path).ids:
        raise ScaffoldError(f"source {source_id!r} is in {registry_path} already")
    module = source_id.replace("-", "_")
    start_url = start_url or f"https://www.{source_id}.example.org/selbsthilfe/gruppen/"
    values = {
        "id": source_id, "module": module, "start_url": start_url,
        "cls": "".join(part.title() for part in source_id.split("-")) + "Scraper",
        "name": name or f"Selbsthilfegruppen ({source_id})",
    }
    site = root / "tests" / "fixtures" / source_id
    list_dir = site / urlsplit(start_url).path.lstrip("/")
    targets = {
        root / "scrapers" / f"{module}.py": ("module.py.tmpl", {}),
        root / "tests" / f"test_{module}.py": ("test.py.tmpl", {}),
        list_dir / "index.html": ("list.html.tmpl", {}),
        **{list_dir / f"gruppe-{key}.html": ("detail.html.tmpl", {
            "title": title, "topic": topic, "meeting": meeting, "email": email})
           for key, title, topic, meeting, email in _SAMPLES},
    }
    clashes = [str(p) for p in (*targets, site) if p.exists()]
    if clashes:
        raise ScaffoldError("would overwrite: " + ", ".join(clashes))
    folder = TEMPLATES / base
    for target, (template, extra) in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        text = Template((folder / template).read_text("utf-8")).substitute(values | extra)
        target.write_text(text, "utf-8")
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n", "utf-8")
    (site / "README.md").write_text("Sample pages written by `shg new-source`; replace them "
                                    "with pages modelled on the live site.\n", "utf-8")
    before = registry_path.read_text("utf-8")
    block = Template((folder / "registry.toml.tmpl").read_text("utf-8")).substitute(values)
    registry_path.write_text(before.rstrip("\n") + "\n" + block, "utf-8")
    try:
        load_registry(registry_path)
    except ValueError:
        registry_path.write_text(before, "utf-8")
        raise
    return [*targets, site / "robots.txt", registry_path]
