"""A PostgreSQL connection that speaks the sqlite3 subset the store's SQL uses, so one body of queue SQL serves
both backends: `?` placeholders, `execute`/`executemany`, rows readable by index and by column name, explicit
BEGIN/COMMIT/SAVEPOINT, and the few SQLite spellings the queue uses, rewritten once per statement."""

import functools
import re
from typing import Any, Iterable, Sequence

import psycopg
from psycopg.pq import TransactionStatus

# INSERT OR REPLACE needs the conflict target PostgreSQL asks for: the table's primary key.
REPLACE_KEYS = {"task_metrics": ("task_id",)}


class Row(tuple):
    """A result row: a tuple that also answers row["column"] and .keys(), like sqlite3.Row."""

    __slots__ = ()
    _names: dict[str, int] = {}

    def __getitem__(self, key):
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._names)


def _row_factory(cursor: psycopg.Cursor):
    names = [column.name for column in cursor.description or ()]
    row_class = type("Row", (Row,), {"__slots__": (), "_names": {name: i for i, name in enumerate(names)}})
    return lambda values: row_class(values)


@functools.lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """The PostgreSQL spelling of one statement of the store's SQLite SQL."""
    text = sql.strip()
    if text.upper() == "BEGIN IMMEDIATE":
        return "BEGIN"
    text = re.sub(r"\s+INDEXED BY \w+", "", text)
    text = re.sub(r"\browid\b", "ctid", text)  # the physical row id (audit_log retention, task paging)
    text = re.sub(r"\bIS \?", "IS NOT DISTINCT FROM ?", text)  # SQLite's IS compares NULLs too
    text = re.sub(r"\b(MIN|MAX)\(\?,", lambda m: ("LEAST(" if m.group(1) == "MIN" else "GREATEST(") + "?,", text)
    upsert = re.match(r"INSERT INTO (\w+) .* DO UPDATE SET ", text, re.DOTALL)
    if upsert:  # `SET n = n + 1`: PostgreSQL wants the existing row's column qualified
        text = re.sub(r"(DO UPDATE SET .*?)\b(\w+) = \2 \+", rf"\1\2 = {upsert.group(1)}.\2 +", text, flags=re.DOTALL)
    out, quoted = [], False
    for char in text:  # placeholders and percent signs outside string literals
        if char == "'":
            quoted = not quoted
        if char == "%":
            out.append("%%")
        elif char == "?" and not quoted:
            out.append("%s")
        else:
            out.append(char)
    text = "".join(out)
    match = re.match(r"INSERT OR (IGNORE|REPLACE) INTO (\w+)\s*\(([^)]*)\)", text, re.IGNORECASE)
    if match:
        verb, table, columns = match.group(1).upper(), match.group(2), match.group(3)
        body = "INSERT INTO" + text[len("INSERT OR ") + len(verb) + len(" INTO"):]
        head, returning = (re.split(r"\sRETURNING\s", body, maxsplit=1) + [""])[:2]
        if verb == "IGNORE":
            conflict = " ON CONFLICT DO NOTHING"
        else:
            keys = REPLACE_KEYS[table]
            sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in (c.strip() for c in columns.split(",")) if c not in keys)
            conflict = f" ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {sets}"
        text = head + conflict + (f" RETURNING {returning}" if returning else "")
    return text


class PgCursor:
    """The result of one statement: fetchone/fetchall/iteration, rowcount and lastrowid (from RETURNING id)."""

    def __init__(self, cursor: psycopg.Cursor, rowcount: int | None = None):
        self._cursor = cursor
        self.rowcount = cursor.rowcount if rowcount is None else rowcount
        self.description = cursor.description

    def fetchone(self):
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self):
        return iter(self.fetchall())

    @property
    def lastrowid(self):
        raise NotImplementedError("lastrowid: use RETURNING on PostgreSQL")


class PgConnection:
    """A psycopg connection in autocommit mode, where the store opens its own transactions like on SQLite."""

    backend = "postgres"

    def __init__(self, dsn: str, application_name: str = "goclaw", connect_timeout: float = 10):
        self.dsn = dsn
        self.connect_timeout = connect_timeout
        self.raw = psycopg.connect(dsn, autocommit=True, row_factory=_row_factory, connect_timeout=int(connect_timeout),
                                   application_name=application_name, prepare_threshold=None)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PgCursor:
        """Run one statement with sqlite-style `?` parameters."""
        cursor = self.raw.cursor()
        cursor.execute(translate(sql), tuple(params))
        return PgCursor(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        """Run one statement per row of parameters, pipelined (one round trip); rowcount is their total."""
        cursor = self.raw.cursor()
        cursor.executemany(translate(sql), [tuple(row) for row in rows])
        return PgCursor(cursor)

    @property
    def in_transaction(self) -> bool:
        """True inside BEGIN … COMMIT/ROLLBACK."""
        return self.raw.info.transaction_status != TransactionStatus.IDLE

    def close(self) -> None:
        """Close the connection."""
        self.raw.close()
