"""Configuration changes reach Shopify at once, through the real job path.

Each change is made, the transaction's precommit hook enqueues the pushes
(as a commit would), the trapped jobs run against the simulator, and
Shopify's level is read back: no stock moves in between.
"""

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SimulatorCase

TEE = "SYN-TEE-BLK-M"
NJ, TX, POOL = "New Jersey Warehouse", "Texas Warehouse", "3PL Pool"


@tagged("post_install", "-at_install")
class TestConfigurationPushes(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.tee = self.products[TEE]
        self.stock(TEE, self.wh_nj.lot_stock_id, 40)
        self.stock(TEE, self.quarantine, 6)
        self.stock(TEE, self.bin_b1, 11)
        self.stock(TEE, self.wh_east.lot_stock_id, 20)
        self.stock(TEE, self.wh_west.lot_stock_id, 7)
        self.env.cr.flush()  # pushes of the fixture's configuration, dropped
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.levels(), {NJ: 40, TX: 11, POOL: 27})

    def levels(self):
        return {loc: self.shopify(TEE, loc) for loc in (NJ, TX, POOL)}

    def commit(self, change):
        """Make ``change``, enqueue as the commit would, run the jobs."""
        with trap_jobs() as trap:
            change()
            self.env.cr.flush()  # runs the precommit hooks
            jobs = list(trap.enqueued_jobs)
            trap.perform_enqueued_jobs()
        self.assertTrue(jobs, "the change enqueued no push")
        self.assertEqual({job.method_name for job in jobs}, {"_job_push_inventory"})
        return jobs

    def test_buffer_rule_create_write_unlink(self):
        Rule = self.env["shopify.buffer.rule"]
        rule = Rule.browse()

        def create():
            nonlocal rule
            rule = Rule.create(
                {"shop_id": self.shop.id, "product_id": self.tee.id, "buffer_units": 10}
            )

        self.commit(create)
        self.assertEqual(self.levels(), {NJ: 30, TX: 1, POOL: 17})
        self.commit(lambda: rule.write({"buffer_units": 0, "buffer_percent": 50}))
        self.assertEqual(self.levels(), {NJ: 20, TX: 5, POOL: 13})
        self.commit(lambda: rule.write({"active": False}))
        self.assertEqual(self.levels(), {NJ: 40, TX: 11, POOL: 27})
        self.commit(lambda: rule.write({"active": True}))
        self.assertEqual(self.levels(), {NJ: 20, TX: 5, POOL: 13})
        self.commit(rule.unlink)
        self.assertEqual(self.levels(), {NJ: 40, TX: 11, POOL: 27})

    def test_shop_wide_buffer_goes_in_batches(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "synco_shopify.push_batch_threshold", 3
        )
        jobs = self.commit(
            lambda: self.env["shopify.buffer.rule"].create(
                {"shop_id": self.shop.id, "buffer_percent": 10}
            )
        )
        # 8 bound products, above the threshold: a batch, not 8 jobs; the tee,
        # the one product whose levels the buffer lowers, goes first in a job
        # of its own (decreases first, issue 24)
        first, batch = sorted(jobs, key=lambda job: job.priority)
        self.assertEqual((first.priority, first.recordset), (5, self.bindings[TEE]))
        self.assertEqual(batch.priority, 10)
        self.assertEqual(len(batch.recordset), len(self.bindings) - 1)
        self.assertEqual(self.levels(), {NJ: 36, TX: 9, POOL: 24})

    def test_shop_wide_buffer_in_one_batch_with_decreases_first_off(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("synco_shopify.push_batch_threshold", 3)
        params.set_param("synco_shopify.push_decreases_first", "0")
        jobs = self.commit(
            lambda: self.env["shopify.buffer.rule"].create(
                {"shop_id": self.shop.id, "buffer_percent": 10}
            )
        )
        self.assertEqual(len(jobs), 1)
        self.assertEqual(len(jobs[0].recordset), len(self.bindings))
        self.assertEqual(self.levels(), {NJ: 36, TX: 9, POOL: 24})

    def test_mapping_pause_and_activate(self):
        self.commit(self.map_tx.action_pause)
        # a paused mapping no longer vouches for its figure: out of sale
        self.assertEqual(self.levels(), {NJ: 40, TX: 0, POOL: 27})
        self.commit(self.map_tx.action_activate)
        self.assertEqual(self.levels(), {NJ: 40, TX: 11, POOL: 27})

    def test_source_added_and_removed(self):
        extra = self.env["stock.warehouse"].create({"name": "Sim North", "code": "QNO"})
        self.stock(TEE, extra.lot_stock_id, 5)
        self.env.cr.flush()
        self.commit(
            lambda: self.map_pool.write(
                {"source_ids": [(0, 0, {"location_id": extra.lot_stock_id.id})]}
            )
        )
        self.assertEqual(self.levels(), {NJ: 40, TX: 11, POOL: 32})
        source = self.map_pool.source_ids.filtered(
            lambda s: s.location_id == extra.lot_stock_id
        )
        self.commit(source.unlink)
        self.assertEqual(self.levels(), {NJ: 40, TX: 11, POOL: 27})

    def test_exclusion_added(self):
        bin_a = self.env["stock.location"].create(
            {"name": "Bin-Damaged", "location_id": self.wh_nj.lot_stock_id.id}
        )
        self.stock(TEE, bin_a, 9)
        self.env.cr.flush()
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify(TEE, NJ), 49)
        self.commit(
            lambda: self.map_nj.write({"excluded_location_ids": [(4, bin_a.id)]})
        )
        self.assertEqual(self.shopify(TEE, NJ), 40)

    def test_aggregation_changed(self):
        self.commit(lambda: self.map_pool.write({"aggregation": "max"}))
        self.assertEqual(self.shopify(TEE, POOL), 20)
        self.commit(lambda: self.map_pool.write({"aggregation": "min"}))
        self.assertEqual(self.shopify(TEE, POOL), 7)

    def test_binding_created(self):
        binding = self.bindings[TEE]
        vals = {
            "shop_id": self.shop.id,
            "product_id": self.tee.id,
            "sku": TEE,
            "shopify_variant_gid": binding.shopify_variant_gid,
            "shopify_inventory_item_gid": binding.shopify_inventory_item_gid,
        }
        binding.unlink()
        self.sim.set_available(DEMO_DOMAIN, TEE, NJ, 3)
        self.commit(lambda: self.env["shopify.product.binding"].create(vals))
        self.assertEqual(self.levels(), {NJ: 40, TX: 11, POOL: 27})

    def test_bin_moved_into_an_excluded_zone(self):
        bin_x = self.env["stock.location"].create(
            {"name": "Bin-X", "location_id": self.wh_nj.lot_stock_id.id}
        )
        self.stock(TEE, bin_x, 4)
        self.env.cr.flush()
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify(TEE, NJ), 44)
        self.commit(lambda: bin_x.write({"location_id": self.quarantine.id}))
        self.assertEqual(self.shopify(TEE, NJ), 40)
