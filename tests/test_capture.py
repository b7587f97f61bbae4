"""`shg capture`: a polite crawl into a WARC that replays and unpacks into a fixture folder."""

import shutil

import pytest

from flows.capture import UnsafePath, fixture_path
from flows.cli import main
from flows.collect import RunContext, collect_source
from schema.registry import load_registry
from tests.conftest import FIXTURES, ROOT
from tools.site_server import FixtureHandler, serve_directory

SITE = FIXTURES / "herne"


def test_capture_replays_and_extracts_to_the_same_pages(tmp_path, capsys):
    out, extracted = tmp_path / "warc", tmp_path / "fixtures"
    with serve_directory(SITE) as (base, seen):
        code = main(["--registry", str(ROOT / "sources.toml"), "capture", "herne",
                     "--out", str(out), "--map", f"https://www.herne.de={base}",
                     "--rate", "100", "--extract", str(extracted)])
    assert code == 0
    assert "13 records, 0 failures" in capsys.readouterr().out
    assert seen[0] == "/robots.txt"
    pages = sorted(p for p in extracted.rglob("*") if p.is_file())
    assert len(pages) == len(seen)  # robots.txt + every page requested
    for page in pages:
        assert page.read_bytes() == (SITE / page.relative_to(extracted)).read_bytes()
    source = load_registry(ROOT / "sources.toml").get("herne")
    run = collect_source(source, RunContext(run_id="t", data_dir=tmp_path / "d", replay=out))
    assert run.status == "ok" and len(run.listings) == 13


def test_failed_capture_keeps_the_previous_warc(tmp_path, capsys):
    out = tmp_path / "warc"
    out.mkdir()
    (out / "herne.warc.gz").write_bytes(b"previous")
    code = main(["--registry", str(ROOT / "sources.toml"), "capture", "herne", "--out",
                 str(out), "--map", "https://www.herne.de=http://127.0.0.1:9"])
    assert code == 1
    assert "capture failed [refused]" in capsys.readouterr().err
    assert (out / "herne.warc.gz").read_bytes() == b"previous"
    assert sorted(p.name for p in out.iterdir()) == ["herne.warc.gz"]


#: Links a hostile list page carries, each a way out of the extract folder once decoded.
HOSTILE_LINKS = [
    "%2e%2e/%2e%2e/%2e%2e/%2e%2e/gruppe-901.html",       # encoded dots
    "%2E%2E/%2E%2E/%2E%2E/%2E%2E/gruppe-902.html",       # upper-case encoded dots
    "%252e%252e/%252e%252e/%252e%252e/gruppe-903.html",  # encoded twice
    "..%5c..%5c..%5c..%5cgruppe-904.html",               # backslashes
    "/%2ftmp%2fgruppe-905.html",                          # an absolute path inside the path
    "x%00/gruppe-906.html",                               # NUL
    "/C:/gruppe-907.html",                                # a drive letter
]


class Hostile(FixtureHandler):
    """The Herne fixture site, but its list page links out of any folder, and it answers
    every such link with a page."""

    def do_GET(self):
        if "gruppe-90" in self.path:
            self.requests_seen.append(self.path)
            body = b"<html><body><h1>Hostile</h1></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        super().do_GET()


def test_capture_extract_refuses_paths_that_leave_the_folder(tmp_path, capsys):
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    index = site / "Gesundheit/Selbsthilfe/Selbsthilfegruppen/index.html"
    links = "".join(f'<li><a href="{href}">Gruppe {n}</a></li>'
                    for n, href in enumerate(HOSTILE_LINKS))
    html = index.read_text("utf-8")
    index.write_text(html.replace('<ul class="az-liste">', f'<ul class="az-liste">{links}', 1),
                     "utf-8")
    assert links in index.read_text("utf-8")
    out, extracted = tmp_path / "a" / "b" / "warc", tmp_path / "a" / "b" / "fixtures"
    with serve_directory(site, Hostile) as (base, seen):
        code = main(["--registry", str(ROOT / "sources.toml"), "capture", "herne",
                     "--out", str(out), "--map", f"https://www.herne.de={base}",
                     "--rate", "100", "--extract", str(extracted)])
    printed = capsys.readouterr().out
    assert code == 0
    assert sum("gruppe-90" in path for path in seen) == len(HOSTILE_LINKS)  # all archived
    # nothing was written outside the extract folder, and no hostile page inside it
    everything = {p for p in tmp_path.rglob("*") if p.is_file()}
    outside = {p for p in everything
               if not p.is_relative_to(site) and not p.is_relative_to(extracted)
               and not p.is_relative_to(out)}
    assert outside == set()
    inside = sorted(p.relative_to(extracted) for p in extracted.rglob("*") if p.is_file())
    assert not [p for p in inside if "90" in p.name], inside
    # the ordinary pages were still written, byte for byte
    assert len(inside) == len(seen) - len(HOSTILE_LINKS)
    for page in inside:
        assert (extracted / page).read_bytes() == (site / page).read_bytes()
    assert f"{len(HOSTILE_LINKS)} pages refused, their path would leave" in printed
    for line in ("dot segment '..'", "encoded twice", "backslash", "empty segment",
                 "control character", "drive letter"):
        assert line in printed, printed


@pytest.mark.parametrize("path", ["/a/%2e%2e/%2e%2e/x.html", "/a/%252e%252e/x.html",
                                  "/a/..%5c..%5cx.html", "/%2fetc%2fpasswd", "/a%00b/x.html",
                                  "/c:/x.html", "/a/./x.html"])
def test_fixture_path_refuses_escaping_paths(tmp_path, path):
    with pytest.raises(UnsafePath):
        fixture_path(tmp_path, "https://www.example.org" + path)


def test_fixture_path_refuses_a_symlink_out_of_the_folder(tmp_path):
    folder = tmp_path / "fixtures"
    folder.mkdir()
    (folder / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafePath, match="resolves outside"):
        fixture_path(folder, "https://www.example.org/link/x.html")
    assert fixture_path(folder, "https://www.example.org/a/key%402755") == folder / "a/key@2755"
    assert fixture_path(folder, "https://www.example.org/a/") == folder / "a/index.html"
