# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Decreases first: the order in which pushes wait (issue 24).

Mixed into ``shopify.product.binding``, whose enqueuers and take-over ask
it: ``self`` is bindings.

A push that lowers a Shopify level takes risk away (Shopify offers units
Odoo no longer has until it lands); one that raises it only adds sales.
So at enqueue time, once per commit, Odoo's new figures are compared with
what Shopify is known to hold (``lib.push.lowers``): the pushes that lower
a level get a queue_job priority of their own (the runner takes a
channel's pending jobs by priority, then date), identity keys of their own
(they never collapse into a push that waits), and short retries; the
others wait a short window, so that in a burst one running push takes
many of them over and writes them in one call per 250 levels.  Held
units, compare-and-set and idempotency are the push's own: unchanged.

Flushes (with it on): one push of a shop runs at a time and takes over
every plain push pending, so a burst of commits costs one flush (one
Shopify call per 250 levels) per window, not one per commit.  A push that
lowers a level starts at once on a quiet shop; while a push of its shop
runs, it waits ``synco_shopify.push_decrease_window`` seconds and joins
the next flush (the window grows with the backlog: the next flush starts
after the running one).  The pushes that don't go first join the next
flush of their own window, and a push that goes first takes over those
whose window is over: decreases never wait behind increases, and
increases never starve behind a stream of decreases.

``synco_shopify.push_decreases_first`` = ``0`` turns it off: every push
as before (one priority, no window, no flush lock).
"""

import datetime
import json
import zlib

import psycopg2

from odoo import api, models
from odoo.tools import SQL, mute_logger

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import DONE, PENDING

from ..lib.shopify import MAX_QUANTITIES_PER_CALL as MAX_LEVELS_PER_CALL

DECREASES_FIRST_PARAM = "synco_shopify.push_decreases_first"
DECREASE_PRIORITY = 5  # queue_job runs the smaller first; its default is 10
# the other pushes wait this long (seconds), so that a running push takes
# them over together
INCREASE_WINDOW_PARAM = "synco_shopify.push_increase_window"
INCREASE_WINDOW = 1.0
# while a push of the shop runs, a decrease waits this long (seconds) and
# joins the next flush; on a quiet shop it starts at once
DECREASE_WINDOW_PARAM = "synco_shopify.push_decrease_window"
DECREASE_WINDOW = 0.5
# the advisory lock of a shop's flush (pg_try_advisory_xact_lock(key, shop))
FLUSH_LOCK = zlib.crc32(b"synco_shopify.push_flush") & 0x7FFFFFFF
# a running push takes over at most this many pending push jobs of its shop
TAKE_OVER_LIMIT = 1000
TAKE_OVER_PARAM = "synco_shopify.push_take_over"  # "0": one job, its products
# the pushes that trust our memory of Shopify (a refresh reads it first)
PLAIN_PUSH_KEYS = [
    f"synco_shopify.{kind}:%"
    for kind in ("push", "push_batch", "push_first", "push_first_batch")
]
# the direction of a bigger commit is not read (a shop-wide change)
LOWERING_LIMIT = 2000


class ShopifyPushPriority(models.AbstractModel):
    _name = "shopify.push.priority"
    _description = "Shopify Push Priority (binding mixin)"

    def _synco_push_groups(self, refresh=False, candidates=None):
        """These bindings (of one shop) by the urgency of their push:
        ``[(bindings, job options)]``.

        The pushes that lower a level Shopify holds run first under
        identity keys of their own and wait only while a push of the shop
        runs; the others wait ``synco_shopify.push_increase_window``
        seconds.  Each joins the flush its lane already has pending
        (``_synco_slot``).  A refresh reads Shopify first, its direction is
        unknown: as before.

        :param candidates: the bindings whose push may lower a level (None:
            any): only a product whose free stock went down, or whose
            configuration changed, can (the figure never falls when free
            stock rises), so a receipt or a delivery validated after its
            reservation reads nothing
        """
        if refresh or not self._synco_decreases_first():
            return [(self, {})]
        maybe = self if candidates is None else self & candidates
        lowering = maybe._synco_lowering() if maybe else self.browse()
        groups = []
        if lowering:
            slot = lowering._synco_slot(first=True)
            groups.append((lowering, {"priority": DECREASE_PRIORITY, **slot}))
        if self - lowering:
            groups.append((self - lowering, (self - lowering)._synco_slot(first=False)))
        return groups

    def _synco_slot(self, first):
        """When these pushes (of one shop) may start: ``{"eta": ...}``, or
        ``{}`` for at once.

        A flush of their lane already pending (a plain push of the same
        priority, never tried, not yet due): one window after it, so that
        when it comes due the runner starts it alone and it takes these
        over (a running push's take-over looks one window ahead); these
        start themselves only if it left them.  Otherwise a push that goes
        first (``first``) starts at once, unless a push of the shop is
        running: then it waits ``synco_shopify.push_decrease_window``; the
        others wait ``synco_shopify.push_increase_window``.
        """
        params = self.env["ir.config_parameter"].sudo()
        if first:
            param, default = DECREASE_WINDOW_PARAM, DECREASE_WINDOW
        else:
            param, default = INCREASE_WINDOW_PARAM, INCREASE_WINDOW
        window = max(0.0, float(params.get_param(param, default)))
        if window <= 0:
            return {}
        self.env["queue.job"].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT (SELECT min(eta) FROM queue_job WHERE channel = %(channel)s "
                "AND state = 'pending' AND model_name = %(model)s "
                "AND method_name = '_job_push_inventory' "
                "AND identity_key LIKE ANY(%(keys)s) AND retry = 0 "
                "AND (priority <= %(first)s) = %(lane)s "
                "AND eta > clock_timestamp() at time zone 'utc'), "
                "EXISTS(SELECT 1 FROM queue_job WHERE channel = %(channel)s "
                "AND state IN ('enqueued', 'started') AND model_name = %(model)s "
                "AND method_name = '_job_push_inventory'), "
                "clock_timestamp() at time zone 'utc'",
                channel=self.shop_id._job_channel(),
                model=self._name,
                keys=PLAIN_PUSH_KEYS,
                first=DECREASE_PRIORITY,
                lane=first,
            )
        )
        pending, running, now = self.env.cr.fetchone()
        if first and not (pending or running):
            return {}
        return {"eta": (pending or now) + datetime.timedelta(seconds=window)}

    def _synco_lowering(self):
        """Those of these bindings (of one shop) whose push lowers a level
        Shopify holds: Odoo's figures now against our last write or read
        (``shopify.inventory.level._synco_lowered_bindings``).

        Once per commit: one availability aggregate and one read of the
        levels, whatever the number of products.
        """
        mappings = self.shop_id[:1]._synco_pushed_mappings()
        if not mappings or len(self) > LOWERING_LIMIT:
            return self.browse()
        targets = {
            (binding.id, location.id): figure
            for binding, per_location in self._synco_push_targets(mappings).items()
            for location, figure in per_location.items()
        }
        Level = self.env["shopify.inventory.level"].sudo()
        ids = Level._synco_lowered_bindings(targets)
        return self.filtered(lambda b: b.id in ids)

    def _synco_correction_urgency(self, lowers):
        """The job options of a corrective push whose direction is known
        (a level webhook showed Shopify above or below Odoo's figure): one
        that ``lowers`` the level goes first, as a decrease does."""
        if lowers and self._synco_decreases_first():
            return {"priority": DECREASE_PRIORITY}
        return None

    def _synco_decreases_first(self):
        params = self.env["ir.config_parameter"].sudo()
        return params.get_param(DECREASES_FIRST_PARAM, "1") != "0"

    def _synco_increase_window(self):
        """How long the pushes that don't go first wait (seconds; 0 with
        decreases first off): a running push takes over those within it."""
        if not self._synco_decreases_first():
            return 0.0
        params = self.env["ir.config_parameter"].sudo()
        return max(0.0, float(params.get_param(INCREASE_WINDOW_PARAM, INCREASE_WINDOW)))

    def _synco_push_kind(self, kind, urgency):
        """The identity key's kind: a push that goes first has its own."""
        if (urgency or {}).get("priority"):
            return kind.replace("push", "push_first", 1)
        return kind

    def _synco_decrease_window(self):
        if not self._synco_decreases_first():
            return 0.0
        params = self.env["ir.config_parameter"].sudo()
        return max(0.0, float(params.get_param(DECREASE_WINDOW_PARAM, DECREASE_WINDOW)))

    def _synco_job_urgent(self, taken=None):
        """Whether the job running this push goes first, or took over one
        that does (``taken``: ``_take_over_pending_pushes``): its retries
        then come sooner (``shopify.shop._push_levels``)."""
        if taken is not None and taken.env.context.get("synco_push_urgent"):
            return True
        job_uuid = self.env.context.get("job_uuid")
        if not job_uuid:
            return False
        self.env.cr.execute(
            SQL("SELECT priority FROM queue_job WHERE uuid = %s", job_uuid)
        )
        row = self.env.cr.fetchone()
        return bool(row) and row[0] <= DECREASE_PRIORITY

    def _take_over_pending_pushes(self):
        """The bindings of the other plain pushes of this shop still pending,
        their jobs marked done: this job pushes them too.

        In a burst (thousands of small commits a minute), each commit
        enqueues its products' pushes faster than the channel runs them, and
        the queue's round trip per job, not Shopify, becomes the bottleneck.
        The job that runs takes over the pending ones (up to
        ``TAKE_OVER_LIMIT``; not a retry waiting for its time): one
        availability read and one Shopify call per 250 levels for all of
        them.  If the push fails, the take-over rolls back with it.

        Safe against the races of ``_lock_pending_pushes``: a pending job
        this transaction sees was committed with its stock change, so we
        read that stock; a job locked by a change still committing (it
        collapsed into it) is skipped and runs after that commit, and one a
        change collapsed into after our snapshot began fails to lock (the
        change updated its row) and is left too; one we lock makes such a
        change enqueue a new job.  A job the runner
        touched since our snapshot is left to the runner; the newest are
        taken first, as the runner dispatches the oldest (its update to
        *enqueued* is unconditional: on a job we marked done, it runs again
        and finds nothing to write).  Only when running as a job: a direct
        call (tests, scripts) pushes exactly its bindings;
        ``synco_shopify.push_take_over``
        = ``0`` turns it off (each job pushes its own products).

        With decreases first, one push of a shop flushes at a time
        (``_synco_flush_lock``).  A push that goes first takes the others
        that go first, those whose window is over (they waited to batch,
        not to starve) and of those still in their window only what rides
        along in its calls for free (``_synco_ride_along``): no batch of
        increases makes it wait.  One that waits takes every push pending,
        those in their window too (they wait only to be taken over).
        """
        job_uuid = self.env.context.get("job_uuid")
        params = self.env["ir.config_parameter"].sudo()
        if not job_uuid or params.get_param(TAKE_OVER_PARAM, "1") == "0":
            return self.browse()
        self._synco_flush_lock()
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT id, priority, (eta IS NULL OR eta <= clock_timestamp() "
                "at time zone 'utc'), records FROM queue_job "
                "WHERE channel = %(channel)s AND state = %(pending)s "
                "AND uuid != %(uuid)s "
                "AND model_name = %(model)s "
                "AND method_name = '_job_push_inventory' "
                "AND identity_key LIKE ANY(%(keys)s) "
                "AND (eta IS NULL OR eta <= clock_timestamp() at time zone "
                "'utc' + make_interval(secs => %(window)s)) "
                "ORDER BY priority, id DESC LIMIT %(limit)s",
                channel=self.shop_id._job_channel(),
                pending=PENDING,
                uuid=job_uuid,
                model=self._name,
                keys=PLAIN_PUSH_KEYS,
                # a slot's followers wait one window after its leader
                window=2
                * max(self._synco_increase_window(), self._synco_decrease_window()),
                limit=TAKE_OVER_LIMIT,
            )
        )
        candidates = cr.fetchall()
        if self._synco_job_urgent():
            candidates = self._synco_ride_along(candidates)
        priority = {job_id: prio for job_id, prio, _due, _records in candidates}
        rows = self._lock_pending_jobs(list(priority))
        if not rows:
            return self.browse()
        cr.execute(
            SQL(
                "UPDATE queue_job SET state = %s, "
                "date_done = now() at time zone 'utc', result = %s WHERE id IN %s",
                DONE,
                f"Pushed by job {job_uuid}",
                tuple(job_id for job_id, _records in rows),
            )
        )
        ids = set()
        for _job_id, records in rows:
            records = json.loads(records) if isinstance(records, str) else records
            ids.update(records.get("ids") or [])
        # a binding deleted since its push was enqueued has nothing to push
        taken = self.browse(sorted(ids)).exists()
        if any(priority[job_id] <= DECREASE_PRIORITY for job_id, _records in rows):
            taken = taken.with_context(synco_push_urgent=True)
        return taken.filtered(lambda b: b.shop_id == self.shop_id)

    def _synco_ride_along(self, candidates):
        """What a push that goes first takes over, of ``candidates``
        ``[(job id, priority, due, records)]``: the other pushes that go
        first, those whose window is over, and of those still in their
        window, the oldest that fit in the room left in the calls it makes
        anyway (250 levels each): they ride along for free, and a decrease
        never waits for a batch of increases.
        """
        locations = max(1, len(self.shop_id._synco_pushed_mappings()))

        def count(records):
            records = json.loads(records) if isinstance(records, str) else records
            return len(records.get("ids") or [])

        taken, waiting = [], []
        for row in candidates:
            first = row[1] <= DECREASE_PRIORITY or row[2]
            (taken if first else waiting).append(row)
        levels = (len(self) + sum(count(row[3]) for row in taken)) * locations
        room = -levels % MAX_LEVELS_PER_CALL
        for row in sorted(waiting, key=lambda row: row[0]):
            levels = count(row[3]) * locations
            if levels > room:
                break
            room -= levels
            taken.append(row)
        return taken

    def _synco_flush_lock(self):
        """With decreases first, one push of a shop flushes at a time: a
        job that starts while another flushes goes back to wait (not a
        retry) and joins the next flush, the running one's snapshot being
        too old to take it over.  Pushes that take nothing over (a refresh,
        a settle) don't ask."""
        if not self._synco_decreases_first():
            return
        self.env.cr.execute(
            SQL(
                "SELECT pg_try_advisory_xact_lock(%s, %s)",
                FLUSH_LOCK,
                self.shop_id.id,
            )
        )
        if not self.env.cr.fetchone()[0]:
            raise RetryableJobError(
                "Another push of the shop is flushing; joining the next one.",
                seconds=max(self._synco_decrease_window(), 0.25),
                ignore_retry=True,
            )

    @api.model
    def _lock_pending_jobs(self, job_ids):
        """Lock the jobs of ``job_ids`` still pending: ``[(id, records)]``.

        All at once; if one was changed since our snapshot (the runner
        enqueued it: a serialization failure), one by one, leaving those.
        """
        cr = self.env.cr

        def lock(ids):
            with cr.savepoint(flush=False), mute_logger("odoo.sql_db"):
                cr.execute(
                    SQL(
                        "SELECT id, records FROM queue_job WHERE id IN %s "
                        "AND state = %s FOR UPDATE SKIP LOCKED",
                        tuple(ids),
                        PENDING,
                    )
                )
                return cr.fetchall()

        if not job_ids:
            return []
        try:
            return lock(job_ids)
        except psycopg2.errors.SerializationFailure:
            rows = []  # one changed since our snapshot: lock them one by one
        for job_id in job_ids:
            try:
                rows += lock([job_id])
            except psycopg2.errors.SerializationFailure:
                continue  # the runner has it: it runs on its own
        return rows
