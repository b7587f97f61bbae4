"""`python -m tools.scaffold ID --base BASE`: a new source from templates — the module, its registry
entry (withheld until its licence is known), a small fixture site and a test module that
passes out of the box, so a maintainer starts from green and edits selectors."""

import argparse
import importlib
import re
import sys
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

import scrapers
from schema.registry import load_registry

TEMPLATES = Path(__file__).with_name("templates")
BASES = sorted(p.name for p in TEMPLATES.iterdir() if p.is_dir())
_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
#: Longest id and name whose generated lines stay within ruff's 100 characters.
MAX_ID, MAX_NAME = 30, 80


class ScaffoldError(ValueError):
    pass


def new_source(root: Path, source_id: str, base: str, start_url: str | None = None,
               name: str | None = None) -> list[Path]:
    if not _ID.match(source_id):
        raise ScaffoldError(f"source id {source_id!r}: lower-case letters, digits and dashes")
    if len(source_id) > MAX_ID or (name is not None and len(name) > MAX_NAME):
        raise ScaffoldError(f"source id {source_id!r}: at most {MAX_ID} characters, "
                            f"its name at most {MAX_NAME}")
    if base not in BASES:
        raise ScaffoldError(f"unknown base {base!r}; known: {', '.join(BASES)}")
    registry_path = root / "sources.toml"
    if source_id in load_registry(registry_path).ids:
        raise ScaffoldError(f"source {source_id!r} is in {registry_path} already")
    code = [Path(p).resolve() for p in scrapers.__path__]
    if (root / "scrapers").resolve() not in code:
        # the registry check imports the new module the way a run does: from this code
        raise ScaffoldError(f"{root} is not the checkout this scaffold runs from "
                            f"({code[0].parent}): run python -m tools.scaffold there")
    module = source_id.replace("-", "_")
    start_url = start_url or f"https://www.{source_id}.example.org/selbsthilfe/gruppen/"
    values = {
        "id": source_id, "module": module, "start_url": start_url,
        "cls": "".join(part.title() for part in source_id.split("-")) + "Scraper",
        "name": name or f"Selbsthilfegruppen ({source_id})",
    }
    site = root / "tests" / "fixtures" / source_id
    list_dir = site / urlsplit(start_url).path.lstrip("/")
    folder = TEMPLATES / base
    # the base's sample site is laid out below the start URL's path, as fixture sites are
    targets = {
        root / "scrapers" / "sources" / f"{module}.py": folder / "module.py.tmpl",
        root / "tests" / f"test_{module}.py": folder / "test.py.tmpl",
        **{list_dir / page.relative_to(folder / "site"): page
           for page in sorted((folder / "site").rglob("*")) if page.is_file()},
    }
    clashes = [str(p) for p in (*targets, site) if p.exists()]
    if clashes:
        raise ScaffoldError("would overwrite: " + ", ".join(clashes))
    for target, template in targets.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(Template(template.read_text("utf-8")).substitute(values), "utf-8")
    (site / "robots.txt").write_text("User-agent: *\nAllow: /\n", "utf-8")
    (site / "README.md").write_text("Sample pages written by `python -m tools.scaffold`; "
                                    "replace them with pages modelled on the live site.\n",
                                    "utf-8")
    before = registry_path.read_text("utf-8")
    block = Template((folder / "registry.toml.tmpl").read_text("utf-8")).substitute(values)
    registry_path.write_text(before.rstrip("\n") + "\n" + block, "utf-8")
    importlib.invalidate_caches()  # the module written a moment ago must be found
    try:
        load_registry(registry_path)
    except ValueError:
        registry_path.write_text(before, "utf-8")
        raise
    return [*targets, site / "robots.txt", registry_path]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.scaffold",
        description="scaffold a source from a base's templates: module, registry entry, "
                    "fixture site, test")
    parser.add_argument("source_id", metavar="ID")
    parser.add_argument("--base", default="azlist", help="azlist (default) or topiclist")
    parser.add_argument("--url", help="start URL of the list page")
    parser.add_argument("--name", help="human name of the source")
    parser.add_argument("--root", default=".", help="repository root")
    args = parser.parse_args(argv)
    try:
        written = new_source(Path(args.root), args.source_id, args.base, args.url, args.name)
    except ScaffoldError as exc:
        print(f"tools.scaffold: {exc}", file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    print(f"next: adjust scrapers/{args.source_id.replace('-', '_')}.py to the live site, "
          "then `make snapshot` and `make test`")
    return 0


if __name__ == "__main__":
    sys.exit(main())
