"""Find the scraper class for a registry entry: module `scrapers.sources.<name>` (dashes become
underscores) holding the `Scraper` subclass whose `source_id` is that name."""

import importlib
import inspect

from scrapers.bases.base import Scraper


def scraper_class(name: str) -> type[Scraper]:
    module_name = f"scrapers.sources.{name.replace('-', '_')}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise LookupError(f"source {name!r}: no scraper module {module_name}") from exc
    for _, obj in inspect.getmembers(module, inspect.isclass):
        if issubclass(obj, Scraper) and not inspect.isabstract(obj) and \
                getattr(obj, "source_id", None) == name:
            return obj
    raise LookupError(f"source {name!r}: {module_name} defines no Scraper with that source_id")
