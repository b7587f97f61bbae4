"""docs/sources.md documents every key of the registry, each with an example."""

import re

import pytest

from schema.registry import (
    FileBranches,
    FileColumns,
    FileHours,
    FileSettings,
    ReleaseSettings,
    Source,
)
from tests.conftest import ROOT

DOC = (ROOT / "docs" / "sources.md").read_text("utf-8")
SECTIONS = {"## `[[source]]`": Source, "## `[source.file]`": FileSettings,
            "### `[source.file.columns]`": FileColumns,
            "### `[source.file.branches]`": FileBranches,
            "### `[source.file.hours]`": FileHours, "## `[source.release]`": ReleaseSettings}
#: Keys that are tables of their own, documented as sections above.
TABLES = {"file", "release", "columns"}


def rows(heading: str) -> dict[str, str]:
    """key -> example, from the table under `heading`."""
    section = DOC.split(heading, 1)[1].split("\n#", 1)[0]
    return {m.group(1): m.group(2) for m in re.finditer(
        r"^\| `([a-z_]+)` \|.*\| `([^`]+)` \|$", section, re.MULTILINE)}


@pytest.mark.parametrize("heading", SECTIONS)
def test_every_key_has_a_row_with_an_example(heading):
    model = SECTIONS[heading]
    documented = rows(heading)
    assert set(documented) == set(model.model_fields) - TABLES, heading
    for key, example in documented.items():
        assert example.startswith(f"{key} = "), (heading, key)
