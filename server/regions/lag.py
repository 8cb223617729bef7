"""How far a streaming replica is behind its primary, in seconds, as Prometheus reports it."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# An idle primary sends no new transactions, so the age of the last replayed one grows while
# the replica is fully caught up: when everything received is replayed the lag is 0.
LAG_SQL = text(
    """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN NULL
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0.0
        ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())::float8
    END
    """
)


async def replication_lag_seconds(replica: AsyncEngine) -> float | None:
    """The replica's lag; None when it is no replica (promoted) or it has replayed nothing."""
    async with replica.connect() as connection:
        lag = (await connection.execute(LAG_SQL)).scalar()
    return None if lag is None else float(lag)
