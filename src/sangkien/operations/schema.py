"""Applying `operations.sql`: the freshness and alert tables, and their grants.

Like the loader's bootstrap, the DDL runs only when it changed since it was last
applied (its hash is kept in `quality.bootstrap`, the loader's record of applied
DDL), so the nightly run may call this as a login that cannot create tables.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psycopg

# Its own key: the loader's bootstrap may run at the same moment from another task.
_LOCK_KEY = 7_425_114


def ensure_operations_schema(conn: psycopg.Connection) -> bool:
    """Create the operations tables if missing; return whether the DDL ran.

    Safe on every start and from parallel tasks; needs the loader's bootstrap first
    (schema `quality`, table `quality.bootstrap`)."""
    ddl = resources.files("sangkien.operations").joinpath("operations.sql").read_text("utf-8")
    digest = hashlib.sha256(ddl.encode()).hexdigest()
    # Applied, and not dropped since (a restore, a hand-made fix).
    applied = """select exists (select from quality.bootstrap where schema_sha256 = %s)
                 and to_regclass('quality.alert') is not null"""
    if conn.execute(applied, (digest,)).fetchone() == (True,):
        return False
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        if conn.execute(applied, (digest,)).fetchone() == (True,):
            return False  # applied by a parallel task while we waited
        conn.execute(ddl)  # type: ignore[arg-type]
        conn.execute(
            "insert into quality.bootstrap (schema_sha256) values (%s) on conflict do nothing",
            (digest,),
        )
    return True
