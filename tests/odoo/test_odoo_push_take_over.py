"""A running push takes over the pending pushes of its shop (bursts).

Real ``queue.job`` rows, a real ``Job.perform`` (which runs the method with
``job_uuid`` in its context, as the runner's worker does) and the simulator:
the pending plain pushes of the shop are marked done and their products go
in the running job's one call; retries waiting for their time, refreshes and
direct calls are left alone, and ``synco_shopify.push_take_over = 0`` turns
it off.
"""

import datetime

from odoo import fields
from odoo.tests import tagged

from odoo.addons.queue_job.job import DONE, PENDING, Job

from ..support.odoo_common import SimulatorCase

TEE, MUG, LARGE = "SYN-TEE-BLK-M", "SYN-MUG-001", "SYN-TEE-BLK-L"
NJ = "New Jersey Warehouse"


@tagged("post_install", "-at_install")
class TestPushTakeOver(SimulatorCase):
    def setUp(self):
        super().setUp()
        for offset, sku in enumerate((TEE, MUG, LARGE)):
            self.stock(sku, self.wh_nj.lot_stock_id, 7 + offset)
        self.env.cr.precommit.clear()  # the hooks' own jobs: we make ours

    def pending(self, sku, refresh=False, **options):
        binding = self.bindings[sku]
        job_options = {**binding._push_job_options(refresh), **options}
        kwargs = {"refresh": True} if refresh else {}
        job = binding.with_delay(**job_options)._job_push_inventory(**kwargs)
        return self.env["queue.job"].search([("uuid", "=", job.uuid)])

    def perform(self, job_record):
        result = Job.load(self.env, job_record.uuid).perform()
        self.env.invalidate_all()  # the take-over updates queue_job in SQL
        return result

    def test_a_running_push_takes_over_the_pending_ones(self):
        tee, mug, large = (self.pending(sku) for sku in (TEE, MUG, LARGE))
        self.sim.clear_log()
        summary = self.perform(tee)
        for job in mug | large:
            self.assertEqual(job.state, DONE)
            self.assertEqual(job.result, f"Pushed by job {tee.uuid}")
            self.assertTrue(job.date_done)
        self.assertIn("2 product(s) of pending pushes taken over", summary)
        self.assertEqual(
            [self.shopify(sku, NJ) for sku in (TEE, MUG, LARGE)], [7, 8, 9]
        )
        writes = self.writes()
        self.assertEqual(len(writes), 1, "one call for the three products")
        self.assertEqual(writes[0]["quantities"], 9)  # 3 products x 3 locations

    def test_retries_and_refreshes_are_left_alone(self):
        tee = self.pending(TEE)
        later = fields.Datetime.now() + datetime.timedelta(minutes=5)
        retry = self.pending(MUG, eta=later)
        refresh = self.pending(LARGE, refresh=True)
        summary = self.perform(tee)
        self.assertNotIn("taken over", summary)
        self.assertEqual((retry | refresh).mapped("state"), [PENDING, PENDING])
        self.assertEqual(self.shopify(TEE, NJ), 7)
        self.assertNotEqual(self.shopify(MUG, NJ), 8)

    def test_a_direct_call_pushes_only_its_products(self):
        mug = self.pending(MUG)
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(mug.state, PENDING)
        self.assertNotEqual(self.shopify(MUG, NJ), 8)

    def test_the_switch_turns_it_off(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "synco_shopify.push_take_over", "0"
        )
        tee, mug = self.pending(TEE), self.pending(MUG)
        self.perform(tee)
        self.assertEqual(mug.state, PENDING)
        self.assertEqual(self.shopify(TEE, NJ), 7)
        self.assertNotEqual(self.shopify(MUG, NJ), 8)
