"""Storage: the DDL (`schema.sql`, `views.sql`), opening the warehouse (`db`), loading a
source run (`load`) and the run bookkeeping (`runs`); and how text and names go into SQL."""


def sql_literal(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def sql_name(name: str) -> str:
    """`name` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'
