"""Scheduled reconciliation, dry runs and the migration path, against the simulator."""

from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.synco_shopify.lib.shopify import ShopifyClient

from ..shopify_simulator import DEMO_DOMAIN
from ..shopify_simulator.fixtures import DEMO_STORE_SKUS
from ..support.odoo_common import SKUS, SimulatorCase

TEE = "SYN-TEE-BLK-M"
MUG = "SYN-MUG-001"
NJ, TX, POOL = "New Jersey Warehouse", "Texas Warehouse", "3PL Pool"


@tagged("post_install", "-at_install")
class TestReconciliation(SimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.map_pool.drift_threshold = 2
        for index, sku in enumerate(SKUS):
            cls.env["stock.quant"]._update_available_quantity(
                cls.products[sku], cls.wh_nj.lot_stock_id, 10 + index
            )
            cls.env["stock.quant"]._update_available_quantity(
                cls.products[sku], cls.wh_east.lot_stock_id, 30
            )

    def run_once(self, **vals):
        run = self.shop._create_run(**vals)
        run._job_run()
        return run

    def line(self, run, sku, location):
        return run.line_ids.filtered(
            lambda line: line.sku == sku and line.shopify_location_id.name == location
        )

    def mutations(self):
        return [e for e in self.sim.log if e.get("mutation")]

    def test_drift_is_corrected(self):
        first = self.run_once()
        self.assertEqual(first.state, "done")
        self.assertEqual(self.shopify(TEE, NJ), 10 + SKUS.index(TEE))
        self.assertEqual(self.shopify(TEE, POOL), 30)
        # levels of the unmapped UK location are reported, never written
        self.assertEqual(self.shopify(TEE, "UK Warehouse"), 50)
        self.assertEqual(self.line(first, TEE, "UK Warehouse").action, "unmapped")
        self.assertEqual(first.checked_count, 3 * len(SKUS))
        # someone edits Shopify by hand
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 99)
        self.sim.clear_log()
        second = self.run_once()
        # every request, reads and the write, is accounted on the run
        self.assertEqual(second.api_calls, len(self.sim.log))
        self.assertEqual(len(self.mutations()), 1)
        self.assertEqual(self.shopify(TEE, NJ), 10 + SKUS.index(TEE))
        line = self.line(second, TEE, NJ)
        self.assertEqual((line.shopify_before, line.delta), (99, -89 + SKUS.index(TEE)))
        self.assertEqual((line.action, line.outcome), ("push", "applied"))
        self.assertEqual((second.drifted_count, second.pushed_count), (1, 1))
        self.assertAlmostEqual(second.drift_percent, 100 / (3 * len(SKUS)), 2)
        self.assertIn("1 drifted", second.message)

    def test_chunks_give_the_same_run_as_one_pass(self):
        """A catalogue is reconciled by chunks of products: cut into chunks of
        two, the run writes, counts and reports exactly as in one pass."""
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 99)
        self.sim.set_available(DEMO_DOMAIN, MUG, POOL, 1)

        def report(run):
            lines = run.line_ids.sorted(
                lambda line: (line.sku, line.shopify_location_id.id)
            )
            return [
                (line.sku, line.shopify_location_id.name, line.expected)
                + (line.shopify_before, line.action, line.outcome)
                for line in lines
            ]

        one = self.run_once(dry_run=True)
        with patch(
            "odoo.addons.synco_shopify.models.shopify_reconciliation.PRODUCT_CHUNK", 2
        ):
            chunked = self.run_once(dry_run=True)
            self.assertGreater(len(self.shop.binding_ids), 2)
            self.assertEqual(report(chunked), report(one))
            for field in ("checked_count", "drifted_count", "drift_percent"):
                self.assertEqual(chunked[field], one[field], field)
            written = self.run_once()
        self.assertEqual(self.shopify(TEE, NJ), 10 + SKUS.index(TEE))
        self.assertEqual(self.shopify(MUG, POOL), 30)
        self.assertGreater(written.pushed_count, 0)
        self.assertEqual(self.run_once().pushed_count, 0)  # nothing left

    def test_bindings_to_correct_are_read_in_one_query(self):
        """The bindings a run corrects share one prefetch set: reading a field
        of one reads them all at once.  A browse per binding read them one by
        one: 4 072 queries in a run of 200 000 levels, about a quarter of its
        Odoo CPU (``bench reconcile --profile``)."""
        self.run_once()  # Shopify as Odoo has it, then two levels drift
        for sku in (TEE, MUG):
            self.sim.set_available(DEMO_DOMAIN, sku, NJ, 99)
        Run = type(self.env["shopify.reconciliation"])
        diff, results = Run._diff, []

        def spy(run, *args, **kwargs):
            results.append(diff(run, *args, **kwargs))
            return results[-1]

        with patch.object(Run, "_diff", spy):
            self.run_once(dry_run=True)
        to_correct = [binding for _rows, push, _known in results for binding in push]
        self.assertEqual(
            sorted(b.sku for b in to_correct), sorted([TEE, MUG]), "the drifted two"
        )
        self.env.invalidate_all()
        with self.assertQueryCount(1):
            for binding in to_correct:
                binding.product_id  # noqa: B018 (a read, counted)

    def test_run_remembers_a_write_whose_transaction_died(self):
        """A push killed after Shopify applied it leaves Odoo remembering the
        older figure; the run reads it and the next push holds nothing."""
        self.run_once()
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        expected = 10 + SKUS.index(TEE)
        self.assertEqual(
            (level.shopify_available, self.shopify(TEE, NJ)), (expected,) * 2
        )
        # Odoo's figure drops by 4; the push job writes it to Shopify, and
        # dies before its commit: Odoo still remembers the older figure
        self.stock(TEE, self.wh_nj.lot_stock_id, -4)
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, expected - 4)
        run = self.run_once()
        # found in sync: counted, with no line (issue 24)
        self.assertFalse(self.line(run, TEE, NJ))
        self.assertEqual(run.drifted_count, 0)
        self.assertEqual(level.shopify_available, expected - 4)
        # the next change is written from the right figure: no false hold
        self.stock(TEE, self.wh_nj.lot_stock_id, -1)
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(level.held_qty, 0)
        self.assertEqual(self.shopify(TEE, NJ), expected - 5)
        self.assertEqual(level.last_outcome, "applied")

    def test_drift_within_threshold_is_left_alone(self):
        self.run_once()
        self.sim.set_available(DEMO_DOMAIN, MUG, POOL, 32)  # expected 30, limit 2
        self.sim.clear_log()
        run = self.run_once()
        line = self.line(run, MUG, POOL)
        self.assertEqual((line.action, line.delta), ("within_threshold", -2))
        self.assertEqual(self.shopify(MUG, POOL), 32)
        self.assertEqual(self.mutations(), [])

    def test_sale_between_read_and_write_is_not_overwritten(self):
        self.shop.default_warehouse_id = self.wh_nj  # Odoo ships it from NJ too
        self.run_once()
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 80)  # drift to correct
        Shop = type(self.shop)
        poll = Shop._job_poll_orders

        def poll_then_sell(shop, *args, **kwargs):
            result = poll(shop, *args, **kwargs)
            self.sim.create_order(DEMO_DOMAIN, [(TEE, 3)], location=NJ)
            return result

        with patch.object(Shop, "_job_poll_orders", poll_then_sell):
            run = self.run_once()
        expected = 10 + SKUS.index(TEE)
        self.assertEqual(self.shopify(TEE, NJ), expected - 3)
        self.assertEqual(self.line(run, TEE, NJ).outcome, "stale_resolved")
        # held until Odoo has the order: the next run imports it, once
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        self.assertEqual(level.held_qty, 3)
        run = self.run_once()
        self.assertEqual(level.held_qty, 0)
        # Odoo's figure is Shopify's: in sync, counted without a line
        self.assertFalse(self.line(run, TEE, NJ))
        self.assertEqual((run.drifted_count, run.pushed_count), (0, 0))
        self.assertEqual(self.shopify(TEE, NJ), expected - 3)

    def test_order_placed_before_the_poll_is_imported_and_counted_once(self):
        self.shop.default_warehouse_id = self.wh_nj
        self.run_once()
        read = ShopifyClient.start_levels_read

        def read_then_sell(client, *args, **kwargs):
            # Shopify's file is ready before the sale, the run's poll after it
            levels = list(read(client, *args, **kwargs))
            self.sim.create_order(DEMO_DOMAIN, [(TEE, 3)], location=NJ)
            return levels

        with patch.object(ShopifyClient, "start_levels_read", read_then_sell):
            run = self.run_once()
        expected = 10 + SKUS.index(TEE)
        # the run's poll imported the order: Odoo reserved the 3 units, and
        # the level read before the sale was read again before the write
        orders = self.env["sale.order"].search([("shopify_shop_id", "=", self.shop.id)])
        self.assertEqual(len(orders), 1)
        self.assertEqual(self.shopify(TEE, NJ), expected - 3)
        self.assertEqual(self.line(run, TEE, NJ).expected, expected - 3)

    def test_dry_run_only_reads(self):
        self.sim.clear_log()
        run = self.run_once(dry_run=True)
        self.assertEqual(self.mutations(), [])
        self.assertTrue(self.sim.log)
        line = self.line(run, TEE, NJ)
        self.assertEqual((line.action, line.outcome), ("push", "dry_run"))
        self.assertEqual(self.shopify(TEE, NJ), 50)
        self.assertEqual(run.pushed_count, 0)
        self.assertGreater(run.drifted_count, 0)

    def test_frozen_shop_writes_nothing(self):
        self.shop.action_freeze()
        with self.assertRaisesRegex(UserError, "frozen"):
            self.shop.action_reconcile()
        self.sim.clear_log()
        run = self.run_once()
        self.assertEqual(self.mutations(), [])
        self.assertEqual(self.line(run, TEE, NJ).action, "frozen")

    def test_not_stocked_is_reported_then_activated(self):
        self.unstock(MUG, TX)
        dry = self.run_once(dry_run=True)
        self.assertEqual(self.line(dry, MUG, TX).action, "not_stocked")
        run = self.run_once()
        self.assertEqual(self.line(run, MUG, TX).outcome, "activated")
        self.assertEqual(self.shopify(MUG, TX), 0)

    def test_interrupted_run_runs_again_and_converges(self):
        self.sim.fail_next("503", count=40)
        run = self.shop._create_run()
        with self.assertRaises(RetryableJobError):
            run._job_run()
        self.sim.clear_faults()
        run._job_run()  # what queue_job's retry does
        self.assertEqual(run.state, "done")
        for sku in SKUS:
            self.assertEqual(self.shopify(sku, NJ), 10 + SKUS.index(sku))

    def test_alert_on_big_drift(self):
        self.shop.write({"drift_alert_percent": 5, "alert_user_id": self.env.uid})
        run = self.run_once(dry_run=True)
        self.assertGreater(run.drift_percent, 5)
        alert = self.env["shopify.alert"].search(
            [("shop_id", "=", self.shop.id), ("kind", "=", "drift_share")]
        )
        self.assertEqual((len(alert), alert.state), (1, "open"))
        self.assertEqual(alert.reconciliation_id, run)
        activity = alert.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.env.user)
        self.assertIn("drifted", activity.note)
        self.assertIn(alert.name, self.shop.message_ids[0].body)
        # the next run that finds little drift resolves it
        self.run_once()
        self.run_once(dry_run=True)
        self.assertEqual(alert.state, "resolved")
        self.assertFalse(alert.activity_ids)

    def test_drift_records_follow_the_runs(self):
        self.run_once()
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 99)  # a manual edit
        self.sim.set_available(DEMO_DOMAIN, MUG, POOL, 32)  # within the threshold
        Drift = self.env["shopify.drift"]
        drift, _resolved = Drift._synco_observe(
            self.shop, [(self.bindings[TEE], self.loc_nj, 1, 99)], "webhook"
        )
        # a frozen shop corrects nothing: the run sees the drift again
        self.shop.action_freeze()
        self.run_once()
        self.assertEqual((drift.state, drift.occurrences), ("open", 2))
        self.assertEqual(drift.expected_qty, 10 + SKUS.index(TEE))
        self.assertEqual(Drift.search([("shop_id", "=", self.shop.id)]), drift)
        # a dry run leaves drift records alone
        self.shop.action_unfreeze()
        self.run_once(dry_run=True)
        self.assertEqual((drift.state, drift.occurrences), ("open", 2))
        # the run writes Odoo's figure: the drift is resolved
        self.run_once()
        self.assertEqual(
            (drift.state, drift.resolved_by), ("resolved", "reconciliation")
        )
        self.assertEqual(Drift.search([("shop_id", "=", self.shop.id)]), drift)


@tagged("post_install", "-at_install")
class TestScheduleAndMigration(SimulatorCase):
    def test_cron_enqueues_one_job_per_shop_per_day(self):
        self.shop.write({"reconcile_hour": 0.0, "tz": "UTC"})
        other = self.env["shopify.shop"].create(
            {
                "name": "Frozen",
                "shop_domain": "frozen.myshopify.com",
                "sync_frozen": True,
                "reconcile_hour": 0.0,
            }
        )
        with trap_jobs() as trap:
            self.env["shopify.shop"]._cron_schedule_reconciliations()
            self.env["shopify.shop"]._cron_schedule_reconciliations()
        jobs = [j for j in trap.enqueued_jobs if j.method_name == "_job_run"]
        self.assertEqual(len(jobs), 1)
        self.assertEqual(jobs[0].recordset.shop_id, self.shop)
        self.assertEqual(jobs[0].recordset.trigger, "cron")
        self.assertFalse(other.reconciliation_ids)

    def cron_at(self, moment):
        with freeze_time(moment), trap_jobs() as trap:
            self.env["shopify.shop"]._cron_schedule_reconciliations()
            self.env.flush_all()
        return [j for j in trap.enqueued_jobs if j.method_name == "_job_run"]

    def test_a_missed_hour_is_caught_up_and_an_overdue_run_alerts_once(self):
        self.shop.write({"reconcile_hour": 2.0, "tz": "America/New_York"})
        self.env.flush_all()
        shop_written = self.shop.write_date
        messages = self.shop.message_ids
        # 01:30 in New York: not yet
        self.assertEqual(self.cron_at("2026-12-02 06:30:00"), [])
        # the 02:00 tick never came (server down): 04:10 catches up
        jobs = self.cron_at("2026-12-02 09:10:00")
        self.assertEqual(len(jobs), 1)
        run = jobs[0].recordset
        self.assertEqual(str(run.schedule_date), "2026-12-02")
        self.assertEqual(self.shop.last_reconcile_date, run.schedule_date)
        self.assertEqual(self.shop.message_ids, messages)  # not overdue yet
        # 05:20: due at 02:00 but the server was down then; caught up at
        # 04:10, it is not overdue before 07:10
        self.assertEqual(self.cron_at("2026-12-02 10:20:00"), [])
        self.assertEqual(self.shop.message_ids, messages)
        # 07:20, the run still waits in the queue: one alert, then no more
        self.assertEqual(self.cron_at("2026-12-02 12:20:00"), [])
        alert = self.shop.message_ids - messages
        self.assertEqual(len(alert), 1)
        self.assertIn("overdue", alert.body)
        self.assertEqual(self.cron_at("2026-12-02 13:20:00"), [])
        self.assertEqual(self.shop.message_ids - messages, alert)
        # the cron never wrote the shop's row (a job may be writing it)
        self.assertEqual(self.shop.write_date, shop_written)
        # the next day has its own run
        self.assertEqual(len(self.cron_at("2026-12-03 07:05:00")), 1)

    def test_a_late_start_catches_up_without_a_false_alarm(self):
        """The server starts at 14:00, today's 02:00 run missing: the
        catch-up runs, and nothing says it is overdue."""
        self.shop.write({"reconcile_hour": 2.0, "tz": "UTC"})
        self.env.flush_all()
        messages = self.shop.message_ids
        activities = self.shop.activity_ids
        Run = self.env["shopify.reconciliation"]
        self.assertFalse(Run.search([("shop_id", "=", self.shop.id)]))
        jobs = self.cron_at("2026-12-02 14:00:00")
        self.assertEqual(len(jobs), 1)
        run = jobs[0].recordset
        self.assertEqual(str(run.schedule_date), "2026-12-02")
        self.assertEqual(str(run.date_scheduled), "2026-12-02 14:00:00")
        # still waiting in the queue within three hours of 14:00: no alarm
        self.assertEqual(self.cron_at("2026-12-02 16:55:00"), [])
        self.assertEqual(run.state, "pending")
        self.assertFalse(run.overdue_alerted)
        self.assertEqual(self.shop.message_ids, messages)
        self.assertEqual(self.shop.activity_ids, activities)
        # the catch-up runs (the job as the runner would run it)
        run._job_run()
        self.assertEqual(run.state, "done")
        self.assertEqual(self.cron_at("2026-12-02 18:00:00"), [])
        self.assertFalse(run.overdue_alerted)
        posted = (self.shop.message_ids - messages).mapped("body")
        self.assertFalse([body for body in posted if "overdue" in (body or "")])

    def test_a_done_run_is_not_overdue(self):
        self.shop.write({"reconcile_hour": 2.0, "tz": "UTC"})
        run = self.cron_at("2026-12-02 02:01:00")[0].recordset
        run.state = "done"
        messages = self.shop.message_ids
        self.assertEqual(self.cron_at("2026-12-02 06:00:00"), [])
        self.assertEqual(self.shop.message_ids, messages)

    def test_cron_waits_for_the_local_hour(self):
        self.shop.write({"reconcile_hour": 23.99, "tz": "Pacific/Kiritimati"})
        with trap_jobs() as trap:
            self.env["shopify.shop"]._cron_schedule_reconciliations()
        # runs only when the shop's local clock has passed 23:59 (with its
        # buffer usage snapshot, a job of its own)
        runs = [j for j in trap.enqueued_jobs if j.method_name == "_job_run"]
        self.assertLessEqual(len(runs), 1)

    def test_migration_path(self):
        self.env["stock.quant"]._update_available_quantity(
            self.products[TEE], self.bin_b1, 12
        )
        snapshot = self.shop.action_migration_freeze()
        self.assertTrue(self.shop.sync_frozen)
        run = self.env["shopify.reconciliation"].browse(snapshot["res_id"])
        self.assertEqual(run.mode, "snapshot")
        # five locations stock every SKU, the Brooklyn Store its apparel
        self.assertEqual(len(run.line_ids), 5 * len(SKUS) + len(DEMO_STORE_SKUS))
        self.assertEqual(set(run.line_ids.mapped("shopify_before")), {0, 7, 50})
        # step 2: the new UK mapping as a draft
        uk = self.shop.location_ids.filtered(lambda loc: loc.name == "UK Warehouse")
        wh_uk = self.env["stock.warehouse"].create({"name": "Sim UK", "code": "QUK"})
        draft = self.env["shopify.location.mapping"].create(
            {
                "shop_id": self.shop.id,
                "shopify_location_id": uk.id,
                "source_ids": [(0, 0, {"warehouse_id": wh_uk.id})],
            }
        )
        self.sim.clear_log()
        dry = self.env["shopify.reconciliation"].browse(
            self.shop.action_migration_dry_run()["res_id"]
        )
        self.assertEqual([e for e in self.sim.log if e.get("mutation")], [])
        self.assertIn(draft, dry.mapping_ids)
        self.assertEqual(
            dry.line_ids.filtered(
                lambda line: line.sku == TEE and line.shopify_location_id == uk
            ).expected,
            0,
        )
        with trap_jobs() as trap:
            self.shop.action_migration_activate()
        self.assertEqual(draft.state, "active")
        self.assertFalse(self.shop.sync_frozen)
        self.assertEqual(self.shop.migration_state, "activated")
        self.assertEqual(len(trap.enqueued_jobs), 1)
        trap.perform_enqueued_jobs()
        self.assertEqual(self.shopify(TEE, "UK Warehouse"), 0)
        self.assertEqual(self.shopify(TEE, TX), 12)
