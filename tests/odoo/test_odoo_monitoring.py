"""Monitoring against the simulator: alerts from reconciliation, pushes and jobs."""

import contextlib

from odoo.tests import tagged

from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SKUS, SimulatorCase

TEE = "SYN-TEE-BLK-M"
MUG = "SYN-MUG-001"
NJ, TX = "New Jersey Warehouse", "Texas Warehouse"


@tagged("post_install", "-at_install")
class TestMonitoring(SimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for sku in SKUS:
            cls.env["stock.quant"]._update_available_quantity(
                cls.products[sku], cls.wh_nj.lot_stock_id, 10
            )
        cls.shop.alert_user_id = cls.env.user
        cls.Alert = cls.env["shopify.alert"]

    def alerts(self, kind, **domain):
        return self.Alert.search(
            [("shop_id", "=", self.shop.id), ("kind", "=", kind)]
            + [(name, "=", value) for name, value in domain.items()],
            order="id",
        )

    def run_once(self, **vals):
        run = self.shop._create_run(**vals)
        run._job_run()
        return run

    def run_job(self, delayed):
        """What queue_job's runner does with a job, failure handling included.

        The failure is stored from a second cursor (``in_temporary_env``);
        the registry's test mode makes it a cursor on this transaction.
        """
        job = Job.load(self.env, delayed.uuid)
        job.set_started()
        job.store()
        # the runner re-raises a failure after storing it; we look at the job
        with contextlib.suppress(Exception):
            RunJobController._runjob(self.env, job)
        self.env.invalidate_all()
        return self.env["queue.job"].search([("uuid", "=", delayed.uuid)])

    def test_negative_level_from_reconciliation(self):
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, -4)
        first = self.run_once()
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.last_reconciliation_id, first)
        alert = self.alerts("negative_level")
        self.assertEqual(len(alert), 1)
        self.assertEqual(
            (alert.product_id, alert.shopify_location_id, alert.shopify_qty),
            (self.products[TEE], self.loc_nj, -4),
        )
        self.assertEqual(alert.state, "open")
        self.assertTrue(alert.activity_ids)
        # the run corrected it; the next run sees it right and resolves it
        self.assertEqual(self.shopify(TEE, NJ), 10)
        self.assertEqual(first.state, "done")
        self.run_once()
        self.assertEqual(alert.state, "resolved")

    def test_oversell_risk_while_frozen(self):
        # Shopify offers stock everywhere; Odoo has none in Texas nor the pool
        self.shop.action_freeze()
        self.run_once()
        oversell = self.alerts("oversell_risk")
        self.assertEqual(oversell.shopify_location_id, self.loc_tx | self.loc_pool)
        self.assertEqual(len(oversell), 2 * len(SKUS))
        self.assertTrue(all(qty > 0 for qty in oversell.mapped("shopify_qty")))
        self.assertEqual(set(oversell.mapped("odoo_qty")), {0})
        # one post on the shop for the batch, one activity on the shop (above
        # ten new alerts), not one per alert
        self.assertEqual(len(self.shop.activity_ids), 1)
        # unfrozen, the run writes 0 there: risk gone
        self.shop.action_unfreeze()
        self.run_once()
        self.assertEqual(set(oversell.mapped("state")), {"resolved"})

    def test_negative_level_from_a_push_read(self):
        self.sim.set_available(DEMO_DOMAIN, MUG, TX, -2)
        binding = self.bindings[MUG]
        binding._job_push_inventory(refresh=True)
        alert = self.alerts("negative_level")
        self.assertEqual(
            (alert.shopify_location_id, alert.shopify_qty), (self.loc_tx, -2)
        )
        self.assertEqual(self.shopify(MUG, TX), 0)
        binding._job_push_inventory(refresh=True)
        self.assertEqual(alert.state, "resolved")

    def test_webhook_level_checks(self):
        shop = self.shop
        binding = self.bindings[TEE]
        shop._synco_check_level(
            binding.shopify_inventory_item_gid, self.loc_nj.shopify_gid, -1
        )
        shop._synco_check_level(
            binding.shopify_inventory_item_gid, self.loc_tx.shopify_gid, 6
        )
        self.assertEqual(self.alerts("negative_level").shopify_location_id, self.loc_nj)
        self.assertEqual(self.alerts("oversell_risk").shopify_location_id, self.loc_tx)
        shop._synco_check_level(
            binding.shopify_inventory_item_gid, self.loc_tx.shopify_gid, 0
        )
        self.assertEqual(self.alerts("oversell_risk").state, "resolved")

    def test_job_failing_for_good_alerts_once(self):
        self.registry_enter_test_mode()
        binding = self.bindings[TEE]
        token = self.shop.access_token
        self.shop.access_token = "shpat_revoked"  # Shopify answers 401
        first = self.run_job(binding._delay_push())
        self.assertEqual(first.state, "failed")
        self.assertIn("401", first.exc_info or "")
        alert = self.alerts("job_failed")
        self.assertEqual(len(alert), 1)
        self.assertEqual(alert.subject, "shopify.product.binding._job_push_inventory")
        self.assertEqual(alert.queue_job_ids, first)
        self.assertIn("401", alert.message)
        # another failure of the same function: the same alert, both jobs
        second = self.run_job(self.bindings[MUG]._delay_push())
        self.assertEqual(second.state, "failed")
        self.assertEqual(self.alerts("job_failed"), alert)
        self.assertEqual(alert.queue_job_ids, first | second)
        self.assertEqual(alert.occurrences, 2)
        # the overview counts them
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.failed_job_count, 2)
        self.assertEqual(self.shop.alert_immediate_count, 1)
        # the token fixed, a push of that function succeeds: resolved
        self.shop.access_token = token
        done = self.run_job(binding._delay_push())
        self.assertEqual(done.state, "done")
        self.assertEqual(alert.state, "resolved")
        self.assertEqual(self.shopify(TEE, NJ), 10)
        self.shop.invalidate_recordset()
        self.assertEqual(self.shop.push_last_hour_count, 1)
        self.assertEqual(self.shop.alert_immediate_count, 0)

    def test_webhook_silence(self):
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 1)], location=NJ)
        self.shop._job_poll_orders()
        alert = self.alerts("webhook_silence")
        self.assertEqual((len(alert), alert.state), (1, "open"))
        self.assertIn("1 order(s)", alert.message)
        # a poll importing nothing neither opens nor resolves
        self.shop._job_poll_orders()
        self.assertEqual(alert.state, "open")
        # webhooks arrive again: the next poll resolves it
        self.env["shopify.webhook.event"].create(
            {"shop_id": self.shop.id, "topic": "orders/create", "event_id": "e-1"}
        )
        self.shop._job_poll_orders()
        self.assertEqual(alert.state, "resolved")
