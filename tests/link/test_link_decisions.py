"""A person's word on linkage: linkage-decisions.toml above any score, and `shg review`.

Real DuckDB warehouses; the listings are those of tests/link/test_link.py (the BüZ Herne in two
sources, linked by address and contact data; groups at its address, not linked)."""

from datetime import timedelta

import pytest

from flows.cli import main
from flows.pipeline import run_all
from schema.registry import load_registry
from tests.conftest import ROOT
from tests.factories import listings, record, registry_copy
from tests.link.test_link import commit, con, entity_of, herne, rot  # noqa: F401 (fixture)
from warehouse.linkage.decisions import DecisionsError, append_decision, load_decisions
from warehouse.linkage.entities import link_entities
from warehouse.storage.db import connect


def write(path, text: str):
    path.write_text(text, "utf-8")
    return path


def test_a_decision_overrides_the_scores(con, now, tmp_path):  # noqa: F811
    """'Not the same' splits a pair the scores link; 'the same' joins a pair they do not."""
    commit(con, "r1", now, {"herne": herne(), "nakos-rot": rot()})
    link_entities(con, "r1", now)
    by_scores = entity_of(con)
    assert by_scores["herne:buez"] == by_scores["nakos-rot:r1"]      # the scores link them
    assert by_scores["herne:angst"] != by_scores["nakos-rot:r3"]     # ... and not these
    decisions = write(tmp_path / "linkage-decisions.toml", """
[[decision]]
a = "herne:buez"
b = "nakos-rot:r1"
same = false
reason = "the city's office and the state list's entry are two services"
by = "test"
on = 2026-12-07

[[decision]]
a = "nakos-rot:r3"
b = "herne:angst"
same = true
reason = "the Kreuzbund group is the Angst und Panik group, renamed"
""")
    later = now + timedelta(days=1)
    counts = link_entities(con, "r2", later, load_decisions(decisions))
    decided = entity_of(con)
    assert decided["herne:buez"] != decided["nakos-rot:r1"]
    assert decided["herne:angst"] == decided["nakos-rot:r3"]
    assert decided["herne:dep"] == decided["nakos-rot:r2"]  # undecided pairs keep their scores
    assert counts.decided == 2 and counts.stale_decisions == []
    rule = con.execute("""SELECT list_transform(evidence, e -> e.rule) FROM entity_members m
                          JOIN listings l ON l.id = m.listing_id
                          WHERE l.source_key = 'angst'""").fetchone()[0]
    assert rule == ["decision"]


def test_not_the_same_also_holds_against_a_chain_of_links(con, now, tmp_path):  # noqa: F811
    """Two listings declared apart stay apart even when a third links to both."""
    third = listings(record("buez", "file-buez", kind="contact_centre", name="BüZ Herne",
                            phones_text=["02323 163636"], emails_text=["buez@herne.de"],
                            address_text="Rathausstraße 6, 44649 Herne"))
    commit(con, "r1", now, {"herne": herne(), "nakos-rot": rot(), "file-buez": third})
    link_entities(con, "r1", now)
    ids = entity_of(con)
    assert ids["herne:buez"] == ids["nakos-rot:r1"] == ids["file-buez:buez"]
    decisions = write(tmp_path / "d.toml", '[[decision]]\na = "herne:buez"\n'
                      'b = "nakos-rot:r1"\nsame = false\nreason = "two offices"\n')
    link_entities(con, "r2", now + timedelta(days=1), load_decisions(decisions))
    ids = entity_of(con)
    assert ids["herne:buez"] != ids["nakos-rot:r1"]


def test_the_pipeline_reads_the_decisions_beside_the_registry(tmp_path):
    """A whole offline run honours linkage-decisions.toml next to sources.toml."""
    registry = registry_copy(tmp_path, (ROOT / "sources.toml").read_text("utf-8"))
    kw = {"source_ids": ["herne", "nakos-rot"], "replay": ROOT / "snapshots",
          "data_dir": tmp_path / "data", "public_dir": tmp_path / "public"}
    run_all(load_registry(registry), **kw)
    with connect(tmp_path / "data" / "atlas.duckdb", read_only=True) as db:
        [(a, b)] = db.execute("""
            SELECT min(l.source_id || ':' || l.source_key), max(l.source_id || ':' ||
                   l.source_key)
            FROM entity_members m JOIN listings l ON l.id = m.listing_id
            GROUP BY m.entity_id HAVING count(*) > 1""").fetchall()
    write(tmp_path / "linkage-decisions.toml",
          f'[[decision]]\na = "{a}"\nb = "{b}"\nsame = false\nreason = "checked by phone"\n')
    report = run_all(load_registry(registry), **kw)
    assert report["link_error"] is None
    with connect(tmp_path / "data" / "atlas.duckdb", read_only=True) as db:
        linked = db.execute("SELECT count(*) FROM entities WHERE members > 1").fetchone()[0]
    assert linked == 0


@pytest.mark.parametrize(("entry", "field"), [
    ('a = "herne:1"\nb = "hamm:2"\nreason = "x"', "same"),
    ('a = "herne:1"\nb = "hamm:2"\nsame = "yes"\nreason = "x"', "same"),
    ('a = "herne:1"\nb = "hamm:2"\nsame = true', "reason"),
    ('a = "herne 1"\nb = "hamm:2"\nsame = true\nreason = "x"', "a"),
    ('a = "herne:1"\nb = "hamm:2"\nsame = true\nreason = "x"\nwhy = "y"', "why"),
    ('a = "herne:1"\nb = "herne:1"\nsame = true\nreason = "x"', "b"),
    ('a = "herne:1"\nb = "hamm:2"\nsame = true\nreason = "x"\non = "gestern"', "on"),
])
def test_a_malformed_decision_names_file_entry_and_field(tmp_path, entry, field):
    path = write(tmp_path / "linkage-decisions.toml",
                 '[[decision]]\na = "herne:a"\nb = "hamm:b"\nsame = true\nreason = "ok"\n\n'
                 f"[[decision]]\n{entry}\n")
    with pytest.raises(DecisionsError) as err:
        load_decisions(path)
    assert str(path) in str(err.value)
    assert "decision 2" in str(err.value) and f"field {field!r}" in str(err.value)
    assert err.value.failure_class == "config_error"


def test_shg_run_refuses_a_malformed_decisions_file_with_exit_2(tmp_path, capsys):
    registry = registry_copy(tmp_path, (ROOT / "sources.toml").read_text("utf-8"))
    path = write(tmp_path / "linkage-decisions.toml",
                 '[[decision]]\na = "herne:a"\nb = "hamm:b"\nsame = "ja"\nreason = "x"\n')
    code = main(["--registry", str(registry), "--data", str(tmp_path / "data"), "run",
                 "--replay", str(ROOT / "snapshots")])
    err = capsys.readouterr().err
    assert code == 2
    assert "[config_error]" in err and str(path) in err and "decision 1" in err
    assert "field 'same'" in err
    assert not (tmp_path / "data" / "atlas.duckdb").exists()  # nothing ran


def test_a_decision_about_a_gone_listing_is_reported_not_fatal(con, now, tmp_path):  # noqa: F811
    commit(con, "r1", now, {"herne": herne(), "nakos-rot": rot()})
    decisions = write(tmp_path / "d.toml", '[[decision]]\na = "herne:closed-2019"\n'
                      'b = "nakos-rot:r1"\nsame = true\nreason = "old entry"\n')
    counts = link_entities(con, "r1", now, load_decisions(decisions))
    assert counts.stale_decisions == ["herne:closed-2019 / nakos-rot:r1"]
    ids = entity_of(con)
    assert ids["herne:buez"] == ids["nakos-rot:r1"]  # the rest linked as always


def test_appending_keeps_the_file_valid_and_the_last_word_wins(tmp_path):
    path = tmp_path / "linkage-decisions.toml"
    append_decision(path, "herne:a", "hamm:b", same=True, reason='sagt "ja", \\ und ä')
    append_decision(path, "hamm:b", "herne:a", same=False, reason="doch nicht", by="R. Prüfer")
    decisions = load_decisions(path)
    assert len(decisions.entries) == 2
    assert decisions.entries[0].reason == 'sagt "ja", \\ und ä'
    [last] = decisions.by_pair().values()
    assert last.same is False and last.by == "R. Prüfer"
    write(path, path.read_text("utf-8") + "[[decision]]\na = 1\n")
    with pytest.raises(DecisionsError):  # a broken file is never appended to
        append_decision(path, "herne:c", "hamm:d", same=True, reason="x")


def test_shg_review_lists_evidence_and_a_decision_changes_the_next_linkage(
        con, now, tmp_path, capsys):  # noqa: F811
    """The BüZ pair links only through address and contact data, its names say nothing: it is
    in the queue with its evidence; a decision takes it out and splits it on the next run."""
    commit(con, "r1", now, {"herne": herne(), "nakos-rot": rot()})
    link_entities(con, "r1", now)
    con.close()
    data, decisions = tmp_path, tmp_path / "linkage-decisions.toml"
    cli = ["--data", str(data), "review", "--decisions", str(decisions)]
    assert main(cli) == 0
    out = capsys.readouterr().out
    assert "1 pairs to review" in out
    assert "herne:buez" in out and "nakos-rot:r1" in out
    assert "linked now: yes, rule address+contact" in out
    assert "same_address" in out and "shared_phones=+492323163636" in out
    assert "generic_name" in out  # what disagreed
    assert main([*cli, "--different", "herne:buez", "nakos-rot:r1"]) == 2  # no reason
    assert main([*cli, "--different", "herne:buez", "nakos-rot:nope", "--reason", "x"]) == 2
    assert "no listing nakos-rot:nope" in capsys.readouterr().err
    assert main([*cli, "--different", "herne:buez", "nakos-rot:r1", "--reason",
                 "two offices", "--by", "test"]) == 0
    assert "are not the same" in capsys.readouterr().out
    assert main(cli) == 0
    assert "0 pairs to review" in capsys.readouterr().out
    with connect(tmp_path / "atlas.duckdb") as again:
        link_entities(again, "r2", now + timedelta(days=1), load_decisions(decisions))
        ids = entity_of(again)
        queued = again.execute("SELECT count(*) FROM link_review").fetchone()[0]
    assert ids["herne:buez"] != ids["nakos-rot:r1"]
    assert queued == 0  # a decided pair is not queued again


def test_a_run_not_started_by_shg_run_keeps_the_entities_on_a_malformed_file(tmp_path):
    """A served flow run does not pass `shg run`'s check: the file is read at linkage, which
    fails with the named entry while the release is still published."""
    registry = registry_copy(tmp_path, (ROOT / "sources.toml").read_text("utf-8"))
    kw = {"source_ids": ["herne", "nakos-rot"], "replay": ROOT / "snapshots",
          "data_dir": tmp_path / "data", "public_dir": tmp_path / "public"}
    run_all(load_registry(registry), **kw)
    with connect(tmp_path / "data" / "atlas.duckdb", read_only=True) as db:
        before = db.execute("SELECT * FROM entity_members ORDER BY listing_id").fetchall()
    path = write(tmp_path / "linkage-decisions.toml",
                 '[[decision]]\na = "herne:x"\nb = "nakos-rot:y"\nsame = true\n')
    report = run_all(load_registry(registry), **kw, republish=True)
    assert "[config_error]" in report["link_error"] and str(path) in report["link_error"]
    assert "decision 1" in report["link_error"] and "field 'reason'" in report["link_error"]
    assert report["status"] == "ok" and report["release_new"]
    with connect(tmp_path / "data" / "atlas.duckdb", read_only=True) as db:
        after = db.execute("SELECT * FROM entity_members ORDER BY listing_id").fetchall()
    assert after == before and before
