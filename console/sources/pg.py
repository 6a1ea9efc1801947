"""A kept psycopg connection, rebuilt after any failure (a broken psycopg connection stays
broken). Shared by the PgBouncer and PostgreSQL sources."""

from __future__ import annotations

import contextlib

import psycopg
from psycopg.rows import dict_row


class KeptConnection:
    def __init__(self, dsn: str, timeout: float) -> None:
        self._dsn = dsn
        self._timeout = timeout
        self._conn: psycopg.AsyncConnection | None = None
        self.opened = 0  # connections made: steady-state polling should not add any

    async def get(self) -> psycopg.AsyncConnection:
        if self._conn is None or self._conn.closed or self._conn.broken:
            await self.drop()
            # autocommit + no prepared statements: the PgBouncer admin console speaks only the
            # simple query protocol, and transaction pooling cannot keep prepared statements.
            self._conn = await psycopg.AsyncConnection.connect(
                self._dsn,
                autocommit=True,
                prepare_threshold=None,
                connect_timeout=max(2, int(self._timeout)),
                row_factory=dict_row,
            )
            self.opened += 1
        return self._conn

    async def query(self, sql: str) -> list[dict]:
        conn = await self.get()
        try:
            cur = await conn.execute(sql)
            return await cur.fetchall()
        except BaseException:
            # Includes cancellation by the poller's timeout: the connection may be mid-query.
            await self.drop()
            raise

    async def drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.closed:
            with contextlib.suppress(Exception):  # already broken; nothing more to do
                await conn.close()
