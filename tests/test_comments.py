"""Every table, view and column of the warehouse is documented in the database itself."""

from warehouse.storage.db import connect


def test_every_table_and_column_has_a_comment(tmp_path):
    con = connect(tmp_path / "atlas.duckdb")
    try:
        tables = con.execute("""
            SELECT table_name, comment FROM duckdb_tables() WHERE database_name = 'atlas'
            UNION ALL
            SELECT view_name, comment FROM duckdb_views()
            WHERE database_name = 'atlas' AND NOT internal""").fetchall()
        columns = con.execute("""
            SELECT table_name, column_name FROM duckdb_columns()
            WHERE database_name = 'atlas' AND comment IS NULL""").fetchall()
    finally:
        con.close()
    assert len(tables) >= 9
    assert [t for t, comment in tables if not comment] == []
    assert columns == []
