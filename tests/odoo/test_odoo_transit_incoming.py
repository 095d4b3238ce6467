"""Stock in transit shown as incoming in Shopify (issue 22).

New Jersey ships to Texas through the company's transit location, Odoo's
two steps chained as its inter-warehouse resupply chains them: a transfer
NJ -> transit, then a receipt transit -> Texas.  With *Show Stock in Transit
as Incoming*, Texas shows the units as ``incoming`` while they are in transit
and nothing once Odoo received them; ``available`` at both ends is Odoo's
figure after each push, and no Shopify step ever moves it.
"""

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SimulatorCase

TEE = "SYN-TEE-BLK-M"
NJ = "New Jersey Warehouse"
TX = "Texas Warehouse"


@tagged("post_install", "-at_install")
class TestTransitIncoming(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.shop.show_transit_incoming = True
        self.tee = self.products[TEE]
        self.stock(TEE, self.wh_nj.lot_stock_id, 90)
        self.stock(TEE, self.bin_b1, 20)
        self.env.cr.flush()
        self.run_jobs(lambda: self.bindings[TEE]._job_push_inventory())
        self.transit = self.env.company.internal_transit_location_id

    def run_jobs(self, change):
        """Make ``change``, then run what it enqueued (and what those did)."""
        with trap_jobs() as trap:
            change()
            self.env.cr.flush()  # the precommit hooks enqueue the pushes
            methods = [job.method_name for job in trap.enqueued_jobs]
            trap.perform_enqueued_jobs()
        return methods

    def odoo_figure(self, mapping):
        return mapping._compute_shopify_available(self.tee)[mapping][self.tee.id]

    def assert_available_is_odoo(self):
        for mapping, name in ((self.map_nj, NJ), (self.map_tx, TX)):
            self.assertEqual(self.shopify(TEE, name), self.odoo_figure(mapping), name)

    def chained_transfer(self, quantity):
        """NJ -> transit -> Texas (Bin-B1), the receipt waiting on the ship."""
        Picking = self.env["stock.picking"]
        receipt = Picking.create(
            {
                "picking_type_id": self.wh_tx.in_type_id.id,
                "location_id": self.transit.id,
                "location_dest_id": self.bin_b1.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.tee.id,
                            "product_uom_qty": quantity,
                            "location_id": self.transit.id,
                            "location_dest_id": self.bin_b1.id,
                            "procure_method": "make_to_order",
                        },
                    )
                ],
            }
        )
        ship = Picking.create(
            {
                "picking_type_id": self.wh_nj.int_type_id.id,
                "location_id": self.wh_nj.lot_stock_id.id,
                "location_dest_id": self.transit.id,
                "move_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": self.tee.id,
                            "product_uom_qty": quantity,
                            "location_id": self.wh_nj.lot_stock_id.id,
                            "location_dest_id": self.transit.id,
                            "move_dest_ids": [(6, 0, receipt.move_ids.ids)],
                        },
                    )
                ],
            }
        )
        receipt.action_confirm()
        ship.action_confirm()
        ship.action_assign()
        return ship, receipt

    def validate(self, picking, quantity=None):
        for move in picking.move_ids:
            if quantity is not None:
                move.quantity = quantity
            move.picked = True
        picking.with_context(cancel_backorder=False)._action_done()

    def test_new_jersey_to_texas_through_transit(self):
        self.assertEqual(self.shopify(TEE, NJ), 90)
        self.assertEqual(self.shopify(TEE, TX), 20)
        ship, receipt = self.chained_transfer(5)
        self.assertEqual(receipt.move_ids.state, "waiting")
        # shipped: 5 leave New Jersey for transit; Texas shows them incoming
        methods = self.run_jobs(lambda: self.validate(ship))
        self.assertIn("_job_shopify_transit", methods)
        self.assertIn("_job_push_inventory", methods)
        self.assertEqual(
            self.sim.level(DEMO_DOMAIN, TEE, TX),
            {"available": 20, "committed": 0, "on_hand": 20, "incoming": 5},
        )
        self.assertEqual(self.shopify(TEE, NJ), 85)
        self.assert_available_is_odoo()
        record = self.env["shopify.transfer"].search([("picking_id", "=", receipt.id)])
        self.assertEqual(
            (record.state, record.incoming_qty, record.shopify_location_id),
            ("in_transit", 5, self.loc_tx),
        )
        with self.sim.lock:
            transfers = list(self.sim.store.shop(DEMO_DOMAIN).transfers.values())
        self.assertEqual(len(transfers), 1)
        self.assertEqual(transfers[0].id, record.transfer_gid)
        self.assertIsNone(transfers[0].origin)  # no step touches NJ's available
        self.assertEqual(transfers[0].reference_name, receipt.name)
        # the job again (a retry, a restart): no second transfer
        receipt._job_shopify_transit(self.shop)
        with self.sim.lock:
            self.assertEqual(len(self.sim.store.shop(DEMO_DOMAIN).transfers), 1)
        # received in Texas: the incoming goes, available is Odoo's 25
        self.run_jobs(lambda: self.validate(receipt))
        self.assertEqual(
            self.sim.level(DEMO_DOMAIN, TEE, TX),
            {"available": 25, "committed": 0, "on_hand": 25},
        )
        self.assertEqual(self.shopify(TEE, NJ), 85)
        self.assert_available_is_odoo()
        self.assertEqual((record.state, record.incoming_qty), ("done", 0))
        self.assertEqual(transfers[0].status, "TRANSFERRED")

    def test_partial_receipt_then_backorder_and_cancel(self):
        ship, receipt = self.chained_transfer(10)
        self.run_jobs(lambda: self.validate(ship))
        self.assertEqual(self.sim.level(DEMO_DOMAIN, TEE, TX)["incoming"], 10)
        # 6 received, 4 left on a backorder: incoming 4, available Odoo's 26
        self.run_jobs(lambda: self._receive_with_backorder(receipt, 6))
        self.assertEqual(
            self.sim.level(DEMO_DOMAIN, TEE, TX),
            {"available": 26, "committed": 0, "on_hand": 26, "incoming": 4},
        )
        self.assert_available_is_odoo()
        backorder = receipt.backorder_ids
        self.assertEqual(len(backorder), 1)
        # the backorder cancelled (the 4 are lost in transit): incoming 0
        self.run_jobs(backorder.action_cancel)
        self.assertEqual(
            self.sim.level(DEMO_DOMAIN, TEE, TX),
            {"available": 26, "committed": 0, "on_hand": 26},
        )
        self.assert_available_is_odoo()

    def _receive_with_backorder(self, receipt, quantity):
        receipt.move_ids.quantity = quantity
        receipt.move_ids.picked = True
        receipt._action_done()  # Odoo keeps the rest on a backorder

    def test_a_stock_user_receipt_runs_the_job(self):
        """The job keeps Synco's records whoever validated the receipt."""
        user = self.env["res.users"].create(
            {
                "name": "Texas receiver",
                "login": "tx-receiver",
                "group_ids": [(6, 0, [self.env.ref("stock.group_stock_user").id])],
            }
        )
        ship, receipt = self.chained_transfer(4)
        self.run_jobs(lambda: self.validate(ship))
        self.assertEqual(self.sim.level(DEMO_DOMAIN, TEE, TX)["incoming"], 4)
        receipt = receipt.with_user(user)
        self.validate(receipt)
        receipt._job_shopify_transit(self.shop.with_user(user))
        self.assertNotIn("incoming", self.sim.level(DEMO_DOMAIN, TEE, TX))

    def test_off_no_transfer_and_refusal_is_a_clear_error(self):
        self.shop.show_transit_incoming = False
        ship, receipt = self.chained_transfer(5)
        methods = self.run_jobs(lambda: self.validate(ship))
        self.assertNotIn("_job_shopify_transit", methods)
        receipt._job_shopify_transit(self.shop)
        self.assertNotIn("incoming", self.sim.level(DEMO_DOMAIN, TEE, TX))
        self.assertFalse(self.env["shopify.transfer"].search([]))
        # on, but Shopify refuses (Texas deactivated there): a clear error
        # naming the receipt, no record, nothing left in Shopify
        self.shop.show_transit_incoming = True
        with self.sim.lock:
            self.sim.store.shop(DEMO_DOMAIN).location_named(TX).is_active = False
        with self.assertRaisesRegex(UserError, receipt.name):
            receipt._job_shopify_transit(self.shop)
        self.assertFalse(self.env["shopify.transfer"].search([]))
        with self.sim.lock:
            self.assertEqual(self.sim.store.shop(DEMO_DOMAIN).transfers, {})
