"""The default broker: kombu's SQLAlchemy transport on EvalHub's PostgreSQL, made safe to start and restart.

Two faults of the stock transport show on a real stack, and this subclass fixes both:

- **Start-up race.** Each process creates the ``kombu_queue``/``kombu_message`` tables on its first
  channel (``metadata.create_all``). A worker and beat starting together on a fresh database both
  issue ``CREATE TABLE`` and one dies on PostgreSQL's unique catalog index. Here the creation runs
  under a transaction-scoped advisory lock, so the second process waits and finds the tables. Likewise
  two processes declaring the same queue at once both look it up, find nothing and insert it; the
  loser's unique violation is rolled back and the winner's row read instead.
- **Database restarts.** The stock transport "connects" without touching the database, so while
  PostgreSQL is down a consumer reconnects in a tight loop and Celery logs ``RestartFreqExceeded``
  with a CRITICAL traceback every second. Here connecting runs ``SELECT 1``: a down database is a
  connection error, which Celery retries with its backoff (one ERROR line per attempt).

``evalhub.celery`` registers this class under the ``sqla`` alias, so ``sqla+postgresql+psycopg://…``
URLs (the default ``CELERY_BROKER_URL``) use it. Redis and RabbitMQ URLs are untouched.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import sqlalchemy as kombu_sqla
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

# Any fixed 64-bit key: only processes creating the broker tables take it.
_CREATE_TABLES_LOCK = 0x6B6F6D6275_00


class Channel(kombu_sqla.Channel):
    def _open(self) -> Any:
        conninfo = self.connection.client
        engines = self._engines
        if conninfo.hostname not in engines:
            with kombu_sqla._MUTEX:
                if conninfo.hostname in engines:
                    return engines[conninfo.hostname]
                engine = self._engine_from_config()
                with engine.begin() as connection:
                    connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_TABLES_LOCK})
                    kombu_sqla.metadata.create_all(connection)
                engines[conninfo.hostname] = engine, sessionmaker(bind=engine)
        return engines[conninfo.hostname]

    def _get_or_create(self, queue: str) -> Any:
        try:
            return super()._get_or_create(queue)
        except IntegrityError:  # another process inserted this queue between our look-up and our insert
            self.session.rollback()
            return self.session.query(self.queue_cls).filter(self.queue_cls.name == queue).one()


class Transport(kombu_sqla.Transport):
    Channel = Channel

    def establish_connection(self) -> Transport:
        connection = super().establish_connection()
        engine, _ = self._avail_channels[-1]._open()
        with engine.connect() as conn:  # OperationalError here is one of connection_errors: retried
            conn.execute(text("SELECT 1"))
        return connection
