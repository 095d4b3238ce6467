"""Decreases first (issue 24): a push that lowers a Shopify level goes first.

Real ``queue.job`` rows stored by the commit hooks, ordered by queue_job's
own runner code (its ``ChannelManager``, as the runner feeds it from the
table), run by a real ``Job.perform`` against the simulator.  The pushes
that lower a level get the decrease priority and identity keys of their
own; the others wait a short window; ``synco_shopify.push_decreases_first``
= ``0`` gives every push today's order.  Compare-and-set, held sales and
idempotency keys are the same on both paths.
"""

import datetime
import json
import time
from unittest.mock import patch

from odoo import sql_db
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.job import DONE, PENDING, Job
from odoo.addons.queue_job.jobrunner.channels import ChannelManager
from odoo.addons.synco_shopify.models import shopify_push_priority as priority_module
from odoo.addons.synco_shopify.models.shopify_push_priority import FLUSH_LOCK

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SimulatorCase

TEE, MUG, LARGE, SMALL = (
    "SYN-TEE-BLK-M",
    "SYN-MUG-001",
    "SYN-TEE-BLK-L",
    "SYN-TEE-BLK-S",
)
NJ = "New Jersey Warehouse"
PARAM = "synco_shopify.push_decreases_first"


@tagged("post_install", "-at_install")
class TestDecreasesFirst(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.nj_stock = self.wh_nj.lot_stock_id
        for sku in (TEE, MUG, LARGE):
            self.stock(sku, self.nj_stock, 20)
        # Shopify holds Odoo's figures: the next change has a direction
        self.shop.binding_ids.filtered(
            lambda b: b.sku in (TEE, MUG, LARGE)
        )._job_push_inventory()
        self.drop_pending()
        self.sim.clear_log()

    def drop_pending(self):
        self.env.cr.flush()  # the hooks store their jobs
        self.env["queue.job"].search(
            [("method_name", "=", "_job_push_inventory")]
        ).unlink()

    def commit(self, sku, quantity):
        """A stock change of ``sku`` at NJ, its pushes stored as at commit."""
        before = set(self.env["queue.job"].search([]).ids)
        self.stock(sku, self.nj_stock, quantity)
        self.env.cr.flush()  # the precommit hook enqueues here
        time.sleep(0.01)  # distinct creation dates, as commits have
        return self.env["queue.job"].search([("id", "not in", list(before))])

    def runner_order(self, jobs, now=None):
        """The uuids of ``jobs`` in the order queue_job's runner starts them,
        one at a time (``root:1``), at ``now`` (epoch seconds; default: an
        hour later, every window past)."""
        manager = ChannelManager()
        manager.simple_configure("root:1")
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT channel, uuid, id, date_created, priority, "
            "EXTRACT(EPOCH FROM eta), state FROM queue_job WHERE id IN %s",
            (tuple(jobs.ids),),
        )
        rows = {row[1]: row for row in self.env.cr.fetchall()}
        db = self.env.cr.dbname
        for row in rows.values():
            manager.notify(db, *row)
        now = now or time.time() + 3600
        order = []
        while True:
            started = list(manager.get_jobs_to_run(now))
            if not started:
                return order
            for job in started:
                order.append(job.uuid)
                manager.notify(db, *rows[job.uuid][:-1], DONE)

    def perform(self, job_record):
        """Run the job as the runner's worker does, and mark it done."""
        job = Job.load(self.env, job_record.uuid)
        result = job.perform()
        job.set_done(result=result)
        job.store()
        self.env.invalidate_all()  # the take-over updates queue_job in SQL
        return result

    def test_a_decrease_after_pending_increases_runs_first(self):
        tee = self.commit(TEE, 5)
        mug = self.commit(MUG, 5)
        large = self.commit(LARGE, -3)
        self.assertEqual(len(tee | mug | large), 3)
        for job in tee | mug:
            self.assertEqual(job.priority, 10)
            self.assertTrue(job.eta, "an increase waits its window")
            self.assertRegex(job.identity_key, r"^synco_shopify\.push:\d+$")
        self.assertEqual(large.priority, 5)
        self.assertFalse(large.eta)
        self.assertEqual(
            large.identity_key, f"synco_shopify.push_first:{self.bindings[LARGE].id}"
        )
        jobs = tee | mug | large
        self.assertEqual(self.runner_order(jobs), [large.uuid, tee.uuid, mug.uuid])
        # still inside the increases' window: only the decrease may start
        self.assertEqual(self.runner_order(jobs, now=time.time() - 60), [large.uuid])

        # it takes the increases along in the room of its own call: no
        # call more, no wait for them
        summary = self.perform(large)
        self.assertIn("2 product(s) of pending pushes taken over", summary)
        self.assertEqual((tee | mug).mapped("state"), [DONE, DONE])
        self.assertEqual(
            [self.shopify(sku, NJ) for sku in (LARGE, TEE, MUG)], [17, 25, 25]
        )
        self.assertEqual(len(self.writes()), 1)

    def test_a_decrease_takes_increases_along_only_into_room_left(self):
        tee = self.commit(TEE, 5)
        mug = self.commit(MUG, 5)
        large = self.commit(LARGE, -3)
        # calls of two products' levels: the decrease leaves room for one
        locations = len(self.shop._synco_pushed_mappings())
        with patch.object(priority_module, "MAX_LEVELS_PER_CALL", 2 * locations):
            summary = self.perform(large)
        self.assertIn("1 product(s) of pending pushes taken over", summary)
        # the oldest rides along; the other waits for its window
        self.assertEqual((tee.state, mug.state), (DONE, PENDING))
        self.assertEqual(
            [self.shopify(sku, NJ) for sku in (LARGE, TEE, MUG)], [17, 25, 20]
        )
        # its own flush, when its window is over
        self.perform(mug)
        self.assertEqual(self.shopify(MUG, NJ), 25)
        self.assertEqual(len(self.writes()), 2)

    def test_an_increase_takes_pending_decreases_along(self):
        mug = self.commit(MUG, 5)
        large = self.commit(LARGE, -3)
        self.perform(mug)
        self.assertEqual(large.state, DONE)
        self.assertEqual([self.shopify(sku, NJ) for sku in (MUG, LARGE)], [25, 17])

    def test_a_decrease_does_not_collapse_into_a_pending_increase(self):
        tee_up = self.commit(TEE, 5)
        tee_down = self.commit(TEE, -10)  # 15 now: below Shopify's 20
        self.assertEqual(len(tee_down), 1)
        self.assertEqual(tee_down.priority, 5)
        self.assertEqual(
            self.runner_order(tee_up | tee_down), [tee_down.uuid, tee_up.uuid]
        )
        self.perform(tee_down)
        self.assertEqual(self.shopify(TEE, NJ), 15)
        # the increase rides along in the decrease's call: nothing left for it
        self.assertEqual(tee_up.state, DONE)
        self.assertIn("0 level(s) pushed", self.perform(tee_up))

    def test_unknown_levels_and_mixed_changes(self):
        # never pushed: Shopify's level is read before the write, no direction
        small = self.commit(SMALL, 4)
        self.assertEqual(small.priority, 10)
        # one level lower, another higher: the push lowers a level
        self.stock(TEE, self.bin_b1, 3)  # Texas up, in the same commit as
        tee = self.commit(TEE, -1)  # NJ down
        self.assertEqual((len(tee), tee.priority), (1, 5))

    def test_off_restores_one_order(self):
        self.env["ir.config_parameter"].sudo().set_param(PARAM, "0")
        tee = self.commit(TEE, 5)
        mug = self.commit(MUG, 5)
        large = self.commit(LARGE, -3)
        jobs = tee | mug | large
        self.assertEqual(set(jobs.mapped("priority")), {10})
        self.assertFalse(any(jobs.mapped("eta")))
        self.assertTrue(
            all(
                key.startswith("synco_shopify.push:")
                for key in jobs.mapped("identity_key")
            )
        )
        self.assertEqual(self.runner_order(jobs), [tee.uuid, mug.uuid, large.uuid])
        # the running push takes over the others, as before
        self.assertIn("2 product(s) of pending pushes taken over", self.perform(tee))

    def test_compare_and_set_and_held_sales_are_kept(self):
        # a customer buys 2 in Shopify; Odoo has not seen the order yet
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)
        tee = self.commit(TEE, -5)
        self.assertEqual(tee.priority, 5)
        self.perform(tee)
        # 15 in Odoo, minus the 2 sold that Odoo will reserve on import
        self.assertEqual(self.shopify(TEE, NJ), 13)
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        self.assertEqual(level.last_outcome, "stale_resolved")
        self.assertEqual((level.expected_qty, level.shopify_available), (15, 13))
        writes = self.writes()
        self.assertTrue(all(write["idempotency_key"] for write in writes))

    def test_a_decrease_retries_sooner(self):
        tee_down = self.commit(TEE, -5)
        mug_up = self.commit(MUG, 5)
        large_up = self.commit(LARGE, 5)
        self.sim.fail_next("503", count=50)
        waits = {}
        # an increase that took a pending decrease over retries as soon
        for name, job in (("down", tee_down), ("up with a decrease", mug_up)):
            with self.assertRaises(RetryableJobError) as caught:
                self.perform(job)
            waits[name] = caught.exception.seconds
        tee_down.unlink()  # as its retry would leave it: not pending
        with self.assertRaises(RetryableJobError) as caught:
            self.perform(large_up)
        waits["up"] = caught.exception.seconds
        self.sim.clear_faults()
        self.assertEqual(waits, {"down": 15, "up with a decrease": 15, "up": 60})

    # ------------------------------------------------------------- flushes
    def running_push(self):
        """A push of the shop started by the runner (its row as the runner
        leaves it while a worker performs it)."""
        job = (
            self.bindings[SMALL]
            .with_delay(channel=self.shop._job_channel())
            ._job_push_inventory()
        )
        record = job.db_record()
        record.state = "started"
        self.env.flush_all()
        return record

    def test_pushes_join_the_flush_of_their_lane(self):
        params = self.env["ir.config_parameter"].sudo()
        # windows long enough that no slot comes due during the test
        params.set_param("synco_shopify.push_increase_window", "120")
        params.set_param("synco_shopify.push_decrease_window", "60")
        tee = self.commit(TEE, 5)
        mug = self.commit(MUG, 5)
        # the increases wait one window, the first alone: when it comes due,
        # the runner starts it alone and it takes the other over
        self.assertTrue(tee.eta)
        self.assertEqual(mug.eta, tee.eta + datetime.timedelta(seconds=120))
        due = tee.eta.replace(tzinfo=datetime.UTC).timestamp() + 1
        self.assertEqual(self.runner_order(tee | mug, now=due), [tee.uuid])
        # a quiet shop: a decrease starts at once
        large = self.commit(LARGE, -3)
        self.assertFalse(large.eta)
        large.unlink()
        # while a push of the shop runs, decreases wait a short window and
        # join one flush after it, ahead of the increases
        running = self.running_push()
        down = self.commit(LARGE, -1)
        self.assertEqual(down.priority, 5)
        self.assertTrue(down.eta)
        self.assertLess(down.eta, tee.eta)
        self.assertEqual(
            self.commit(TEE, -10).eta, down.eta + datetime.timedelta(seconds=60)
        )
        running.unlink()

    def test_one_flush_of_a_shop_at_a_time(self):
        tee = self.commit(TEE, 5)
        mug = self.commit(MUG, 5)
        # another worker flushes the shop (holds its flush lock)
        other = sql_db.db_connect(self.env.cr.dbname).cursor()
        try:
            other.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", (FLUSH_LOCK, self.shop.id)
            )
            self.assertTrue(other.fetchone()[0])
            job = Job.load(self.env, tee.uuid)
            with self.assertRaises(RetryableJobError) as caught:
                job.perform()
        finally:
            other.rollback()
            other.close()
        # it goes back to wait for the next flush: not a retry, nothing taken
        self.assertTrue(caught.exception.ignore_retry)
        self.assertEqual(caught.exception.seconds, 0.5)
        self.assertEqual(job.retry, 0)
        self.assertEqual((tee | mug).mapped("state"), [PENDING, PENDING])
        self.assertEqual(self.writes(), [])
        # once the other flush is over, it flushes both
        self.assertIn("1 product(s) of pending pushes taken over", self.perform(tee))
        self.assertEqual([self.shopify(sku, NJ) for sku in (TEE, MUG)], [25, 25])

    def test_increases_do_not_starve_behind_decreases(self):
        tee = self.commit(TEE, 5)
        mug = self.commit(MUG, 5)
        # a stream of decreases: the runner always has one to start first
        large = self.commit(LARGE, -3)
        jobs = tee | mug | large
        self.assertEqual(self.runner_order(jobs)[0], large.uuid)
        # the increases' window is over: the decrease's flush takes them along
        self.env.cr.execute(
            "UPDATE queue_job SET eta = (now() at time zone 'utc') - "
            "interval '1 second' WHERE id IN %s",
            ((tee | mug)._ids,),
        )
        self.env.invalidate_all()
        # even with no room left in its calls
        with patch.object(priority_module, "MAX_LEVELS_PER_CALL", 1):
            summary = self.perform(large)
        self.assertIn("2 product(s) of pending pushes taken over", summary)
        self.assertEqual((tee | mug).mapped("state"), [DONE, DONE])
        self.assertEqual(
            [self.shopify(sku, NJ) for sku in (TEE, MUG, LARGE)], [25, 25, 17]
        )

    def test_a_correction_that_lowers_goes_first(self):
        """A level webhook shows Shopify above Odoo (an edit in Shopify's
        admin): the corrective push lowers it, so it goes first, with short
        retries; one that raises it does not (and "0" turns both off)."""
        self.shop.correct_drift_on_webhook = True
        binding = self.shop.binding_ids.filtered(lambda b: b.sku == TEE)
        nj = self.loc_nj

        def webhook(available):
            before = set(self.env["queue.job"].search([]).ids)
            self.shop._synco_check_level(
                binding.shopify_inventory_item_gid, nj.shopify_gid, available
            )
            self.env.cr.flush()
            jobs = self.env["queue.job"].search(
                [
                    ("id", "not in", list(before)),
                    ("method_name", "=", "_job_push_inventory"),
                ]
            )
            self.assertEqual(len(jobs), 1)
            return jobs

        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 23)  # the merchant: 20 → 23
        raised = webhook(23)
        self.assertEqual(raised.priority, 5)
        self.assertIn("push_first", raised.identity_key)
        self.perform(raised)
        self.assertEqual(self.shopify(TEE, NJ), 20)  # written over
        self.drop_pending()
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 18)  # 20 → 18: a raise
        lowered = webhook(18)
        self.assertEqual(lowered.priority, 10)
        self.drop_pending()
        self.env["ir.config_parameter"].sudo().set_param(PARAM, "0")
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 25)
        self.assertEqual(webhook(25).priority, 10)

    def test_a_level_webhook_above_our_memory_is_checked_first(self):
        """An edit in Shopify's admin raising a level: its webhook is checked
        (and its corrective push enqueued) ahead of the other webhooks of a
        busy shop, which waited 20-40 s in the soak's channel."""
        binding = self.shop.binding_ids.filtered(lambda b: b.sku == TEE)
        level = binding.level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        self.assertEqual((level.shopify_available, level.shopify_known), (20, True))

        def delivered(available, number):
            payload = {
                "inventory_item_id": int(
                    binding.shopify_inventory_item_gid.rsplit("/", 1)[-1]
                ),
                "location_id": int(self.loc_nj.shopify_gid.rsplit("/", 1)[-1]),
                "available": available,
            }
            event = self.env["shopify.webhook.event"]._store(
                self.shop,
                {
                    "X-Shopify-Topic": "inventory_levels/update",
                    "X-Shopify-Event-Id": f"level-{number}",
                },
                json.dumps(payload).encode(),
            )
            event._delay_process(payload)
            self.env.cr.flush()
            return self.env["queue.job"].search(
                [("method_name", "=", "_job_process"), ("records", "ilike", "event")],
                order="id desc",
                limit=1,
            )

        self.assertEqual(delivered(23, 1).priority, 5)  # above our 20
        self.assertEqual(delivered(20, 2).priority, 10)  # our own write's echo
        self.assertEqual(delivered(18, 3).priority, 10)  # a sale, say
        # an import asked to read the level again (forgotten): the value we
        # last knew still tells the rise
        level.shopify_known = False
        self.assertEqual(delivered(24, 5).priority, 5)
        self.env["ir.config_parameter"].sudo().set_param(PARAM, "0")
        self.assertEqual(delivered(25, 4).priority, 10)

    def test_a_decrease_of_a_forgotten_level_goes_first(self):
        """An order import asks to read its product's levels again before
        the next push (forgotten): a decrease of one of them still goes
        first, judged by the value last known (it waited the increases'
        window, 10 s behind the webhooks in the soak)."""
        level = self.bindings[LARGE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        level.shopify_known = False
        large = self.commit(LARGE, -3)
        self.assertEqual(large.priority, 5)
        self.assertIn("push_first", large.identity_key)
        tee = self.commit(TEE, 3)  # an increase still waits
        self.assertEqual(tee.priority, 10)

    def test_a_correction_waiting_for_a_push_still_goes_first(self):
        """A push holds the level when the webhook shows Shopify above Odoo:
        the settle is left to a push of its own, which goes first too (it
        waited 30 s in the soak, behind the webhooks, then retried 30 s
        later on a fault)."""
        self.shop.correct_drift_on_webhook = True
        binding = self.shop.binding_ids.filtered(lambda b: b.sku == TEE)
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 23)  # the merchant: 20 → 23
        before = set(self.env["queue.job"].search([]).ids)
        with patch(
            "odoo.addons.synco_shopify.models.shopify_inventory_level.try_lock_rows",
            return_value=None,  # a push holds the level
        ):
            self.shop._synco_check_level(
                binding.shopify_inventory_item_gid, self.loc_nj.shopify_gid, 23
            )
        self.env.cr.flush()
        job = self.env["queue.job"].search(
            [
                ("id", "not in", list(before)),
                ("method_name", "=", "_job_push_inventory"),
            ]
        )
        self.assertEqual(len(job), 1)
        self.assertEqual(job.kwargs["settle"], {"forget": [self.loc_nj.id]})
        self.assertEqual(job.priority, 5)
        self.perform(job)
        self.assertEqual(self.shopify(TEE, NJ), 20)  # written over, first
