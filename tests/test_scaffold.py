"""`python -m tools.scaffold` writes a source whose own generated test passes."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tools.scaffold import BASES, MAX_ID, MAX_NAME, main


@pytest.fixture
def repo(tmp_path):
    """A throw-away copy of the code, so the scaffold writes where a maintainer's would."""
    for folder in ("schema", "scrapers", "flows", "warehouse", "tools", "snapshots/files"):
        shutil.copytree(ROOT / folder, tmp_path / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "tests").mkdir()
    for name in ("__init__.py", "conftest.py"):
        shutil.copy(ROOT / "tests" / name, tmp_path / "tests" / name)
    shutil.copy(ROOT / "sources.toml", tmp_path / "sources.toml")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def scaffold_in(repo: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m tools.scaffold ARGS` in the copy, running its code, as a maintainer runs it
    in the checkout."""
    return subprocess.run([sys.executable, "-m", "tools.scaffold", *args], cwd=repo,
                          env=os.environ | {"PYTHONPATH": str(repo)}, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("base", BASES)
def test_new_source_passes_its_own_test(repo, base):
    source_id = f"beispiel-{base}"
    url = f"https://www.beispielstadt.de/{base}/gruppen/"
    # in the copy, running its code, as a maintainer runs it in the checkout: the registry
    # check finds the new module the way a run does
    done = scaffold_in(repo, source_id, "--base", base, "--url", url)
    assert done.returncode == 0, done.stdout + done.stderr
    module = source_id.replace("-", "_")
    assert (repo / "scrapers" / "sources" / f"{module}.py").is_file()
    entry = next(e for e in tomllib.loads((repo / "sources.toml").read_text("utf-8"))["source"]
                 if e["id"] == source_id)
    assert entry["policy"] == "withhold" and entry["start_urls"] == [url]
    assert (repo / f"tests/fixtures/{source_id}/{base}/gruppen/index.html").is_file()
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           f"tests/test_{module}.py"], cwd=repo, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "4 passed" in done.stdout


def test_refuses_to_overwrite_or_unknown_base(repo, capsys):
    assert main(["herne", "--root", str(repo)]) == 2
    assert "'herne' is in" in capsys.readouterr().err
    assert main(["neu", "--base", "wordpress", "--root", str(repo)]) == 2
    assert "unknown base 'wordpress'" in capsys.readouterr().err
    assert main(["Neu_Stadt", "--root", str(repo)]) == 2
    assert main(["neu", "--root", str(repo)]) == 2  # not the code that runs
    assert f"{repo} is not the checkout this scaffold runs from" in capsys.readouterr().err
    assert not (repo / "scrapers" / "sources" / "neu.py").exists()


RUFF = Path(sys.executable).with_name("ruff")


@pytest.mark.parametrize(("source_id", "base", "url", "name"), [
    # the README's example
    ("beispielstadt", "azlist", "https://www.beispielstadt.de/selbsthilfe/gruppen/", None),
    ("beispielstadt-themen", "topiclist", "https://www.beispielstadt.de/selbsthilfe/themen/",
     None),
    # the longest id and name the scaffold takes, and a long start URL
    ("a" * MAX_ID, "azlist", "https://www.beispielstadt.de/" + "x/" * 60, "N" * MAX_NAME),
    ("b" * MAX_ID, "topiclist", "https://www.beispielstadt.de/" + "x/" * 60, "N" * MAX_NAME),
])
def test_generated_files_pass_ruff(repo, source_id, base, url, name):
    """`make test` runs `ruff check .` first: files the scaffold writes must pass it, or the
    maintainer's next step stops there."""
    args = [source_id, "--base", base, "--url", url]
    done = scaffold_in(repo, *args, *(["--name", name] if name else []))
    assert done.returncode == 0, done.stdout + done.stderr
    module = source_id.replace("-", "_")
    written = [f"scrapers/sources/{module}.py", f"tests/test_{module}.py"]
    done = subprocess.run([str(RUFF), "check", "--no-cache", *written], cwd=repo,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_refuses_ids_and_names_too_long_for_the_generated_lines(repo, capsys):
    assert main(["a" * (MAX_ID + 1), "--root", str(repo)]) == 2
    assert f"at most {MAX_ID} characters" in capsys.readouterr().err
    assert main(["kurz", "--name", "N" * (MAX_NAME + 1),
                 "--root", str(repo)]) == 2
    assert not (repo / "scrapers" / "sources" / "kurz.py").exists()
