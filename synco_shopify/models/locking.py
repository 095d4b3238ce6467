# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Row locks taken by jobs before they change shared rows.

Odoo runs each job in one repeatable-read transaction whose snapshot is
taken when the job starts.  A job that waits on a row another job holds,
and then changes it, fails to serialize as soon as the other one commits;
queue_job then runs it again, Shopify calls included, spending one of its
retries.  So a job locks the rows it must change *before* anything else it
does, without waiting: locked (another job is at it) or changed since the
snapshot (another job committed meanwhile), it runs again a moment later on
fresh data, and that wait spends no retry.  Once the lock is held, nobody
else changes those rows until the job commits.
"""

import hashlib
import struct

import psycopg2

from odoo.tools import SQL, mute_logger

from odoo.addons.queue_job.exception import RetryableJobError

CONTENDED = (psycopg2.errors.LockNotAvailable, psycopg2.errors.SerializationFailure)


def try_lock_rows(cr, table, where):
    """Lock ``SELECT id FROM table WHERE where`` (ordered by id), if free.

    :param where: an ``odoo.tools.SQL`` condition
    :return: the ids locked, or None when another job holds or changed one
        of the rows since this transaction began (nothing is locked then)
    """
    query = SQL(
        "SELECT id FROM %s WHERE %s ORDER BY id FOR NO KEY UPDATE NOWAIT",
        SQL.identifier(table),
        where,
    )
    try:
        with cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
            cr.execute(query)
            return [row[0] for row in cr.fetchall()]
    except CONTENDED:
        return None


def lock_rows(cr, table, where, message, seconds=2):
    """Lock the rows like ``try_lock_rows``, or run the job again shortly.

    :param message: why the job runs again (its result meanwhile)
    :return: the ids locked
    :raise RetryableJobError: another job holds or changed one of the rows;
        queue_job runs the job again in ``seconds``, spending no retry
    """
    ids = try_lock_rows(cr, table, where)
    if ids is None:
        raise RetryableJobError(message, seconds=seconds, ignore_retry=True)
    return ids


def try_advisory_lock(cr, *parts):
    """Take the transaction-level advisory lock named by ``parts``, if free.

    Waiting for it would leave the transaction on a snapshot older than the
    holder's commit: a job that gets False runs again instead.

    :return: whether the lock is held (until the transaction ends)
    """
    name = ":".join(str(part) for part in parts)
    key = struct.unpack("q", hashlib.sha256(name.encode()).digest()[:8])[0]
    cr.execute("SELECT pg_try_advisory_xact_lock(%s)", (key,))
    return cr.fetchone()[0]


def changed_since_snapshot(cr, table, where):
    """Whether another transaction changed one of the rows since this one
    began (or holds one now), without keeping any lock.

    The rows are share-locked in a savepoint rolled back at once: the check
    blocks no writer for the rest of the transaction.
    """
    cr.execute("SAVEPOINT synco_changed_since_snapshot")
    try:
        with mute_logger("odoo.sql_db"):
            cr.execute(
                SQL(
                    "SELECT id FROM %s WHERE %s FOR SHARE NOWAIT",
                    SQL.identifier(table),
                    where,
                )
            )
        return False
    except CONTENDED:
        return True
    finally:
        cr.execute("ROLLBACK TO SAVEPOINT synco_changed_since_snapshot")
