"""One location story and fulfilments, Odoo against the simulator.

Shopify assigns an order to New Jersey; Odoo routes it to Texas.  The
alignment job moves Shopify's fulfilment order to Texas (or records
Shopify's refusal), and validating the delivery, partly then its
backorder, gives Shopify fulfilments with the tracking number, never twice.
"""

from datetime import datetime, timedelta

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.synco_shopify.lib.shopify import normalize_order

from ..shopify_simulator import DEMO_DOMAIN
from ..shopify_simulator.webhooks import order_payload
from ..support.odoo_common import SimulatorCase

TEE = "SYN-TEE-BLK-M"
NJ, TX = "New Jersey Warehouse", "Texas Warehouse"
TX_ADDRESS = {
    "firstName": "Tex",
    "lastName": "Buyer",
    "address1": "1 Congress Ave",
    "city": "Austin",
    "provinceCode": "TX",
    "countryCode": "US",
    "zip": "73301",
}


class FulfilmentCase(SimulatorCase):
    """Texas routing, 10 tees at each warehouse, Shopify in line."""

    def setUp(self):
        super().setUp()
        self.shop.write(
            {
                "default_warehouse_id": self.wh_nj.id,
                "order_route_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Texas",
                            "zip_ranges": "73300-73399",
                            "warehouse_id": self.wh_tx.id,
                        },
                    )
                ],
            }
        )
        self.stock(TEE, self.wh_nj.lot_stock_id, 10)
        self.stock(TEE, self.bin_b1, 10)
        self.env.cr.flush()
        self.bindings[TEE]._job_push_inventory(refresh=True)
        self.assertEqual(self.shopify(TEE, NJ), 10)
        self.assertEqual(self.shopify(TEE, TX), 10)

    def import_order(self, quantity=3, location=NJ):
        """A Shopify order at ``location`` for Texas, imported as by webhook."""
        order = self.sim.create_order(
            DEMO_DOMAIN,
            [(TEE, quantity)],
            shipping_address=TX_ADDRESS,
            location=location,
        )
        payload = order_payload(self.sim.shop(DEMO_DOMAIN), order)
        with trap_jobs() as trap:
            sale, _message, created = self.env["shopify.order.import"]._sync(
                self.shop, normalize_order(payload)
            )
        self.assertTrue(created)
        self.assertEqual(sale.warehouse_id, self.wh_tx)
        self.assertEqual(sale.shopify_location_state, "pending")
        trap.assert_enqueued_job(
            sale._job_shopify_align_location,
            properties={"channel": self.shop._job_channel()},
        )
        return order, sale

    def level(self, location):
        return self.sim.level(DEMO_DOMAIN, TEE, location)

    def ship_and_fulfil(self, picking, quantity):
        """Validate ``quantity`` of each move, then run the fulfilment job."""
        picking.move_ids.quantity = quantity
        picking.move_ids.picked = True
        with trap_jobs():
            picking._action_done()
        picking._job_shopify_fulfil()


@tagged("post_install", "-at_install")
class TestFulfilment(FulfilmentCase):
    def test_fulfilment_order_moved_to_routed_location(self):
        order, sale = self.import_order()
        self.assertEqual(self.level(NJ)["committed"], 3)
        message = sale._job_shopify_align_location()
        self.assertEqual(sale.shopify_location_state, "moved", message)
        self.assertEqual(sale.shopify_location_id, self.loc_tx)
        fos = self.sim.fulfillment_orders(order.id)
        self.assertEqual([fo["location"] for fo in fos], [TX])
        self.assertEqual(self.level(NJ)["committed"], 0)
        self.assertEqual(self.level(TX)["committed"], 3)
        # the move changed Shopify's figures at both places; the push (reads
        # first) brings them to Odoo's, with no units held by mistake
        self.bindings[TEE]._job_push_inventory(refresh=True)
        self.assertEqual(
            self.level(NJ), {"available": 10, "committed": 0, "on_hand": 10}
        )
        self.assertEqual(
            self.level(TX), {"available": 7, "committed": 3, "on_hand": 10}
        )
        self.assertFalse(any(self.bindings[TEE].level_ids.mapped("held_qty")))
        # again: nothing moves twice
        sale._job_shopify_align_location()
        self.assertEqual(sale.shopify_location_state, "aligned")
        moves = [
            e for e in self.sim.log if e["operation_name"] == "FulfillmentOrderMove"
        ]
        self.assertEqual(len(moves), 1)

    def test_refused_move_keeps_shopify_choice_and_says_so(self):
        order, sale = self.import_order()
        self.unstock(TEE, TX)
        message = sale._job_shopify_align_location()
        self.assertEqual(sale.shopify_location_state, "refused")
        self.assertEqual(sale.shopify_location_id, self.loc_nj)
        self.assertIn("not stocked", message)
        self.assertIn(message, sale.message_ids.mapped("body")[0])
        self.assertIn("refused", self.shop.message_ids[0].body)
        self.assertEqual(
            [fo["location"] for fo in self.sim.fulfillment_orders(order.id)], [NJ]
        )

    def test_progress_reported_is_not_moved(self):
        order, sale = self.import_order()
        self.sim.report_progress(self.sim.fulfillment_orders(order.id)[0]["id"])
        message = sale._job_shopify_align_location()
        self.assertEqual(sale.shopify_location_state, "refused")
        self.assertIn("progress reported", message)

    def test_webhook_order_routed_by_assigned_location(self):
        # a rule on Shopify's location beats the address rule
        self.shop.order_route_ids.sequence = 10
        self.env["shopify.order.route"].create(
            {
                "name": "Assigned to New Jersey",
                "sequence": 1,
                "shop_id": self.shop.id,
                "shopify_location_id": self.loc_nj.id,
                "warehouse_id": self.wh_nj.id,
            }
        )
        self.shop.invalidate_recordset(["order_route_ids"])  # in sequence
        order = self.sim.create_order(
            DEMO_DOMAIN, [(TEE, 1)], shipping_address=TX_ADDRESS, location=NJ
        )
        payload = order_payload(self.sim.shop(DEMO_DOMAIN), order)
        with trap_jobs():
            sale, _message, _created = self.env["shopify.order.import"]._sync(
                self.shop, normalize_order(payload)
            )
        self.assertEqual(sale.warehouse_id, self.wh_nj)
        self.assertEqual(sale.shopify_route_id.name, "Assigned to New Jersey")

    def test_partial_delivery_then_backorder_fulfilled_once_each(self):
        order, sale = self.import_order(quantity=3)
        sale._job_shopify_align_location()
        picking = sale.picking_ids
        self.assertEqual(picking.state, "assigned")
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        picking.shopify_tracking_number = "1Z999"
        picking.shopify_tracking_company = "UPS"
        with trap_jobs() as trap:
            picking._action_done()
        trap.assert_enqueued_job(
            picking._job_shopify_fulfil,
            properties={"channel": self.shop._job_channel()},
        )
        self.assertEqual(picking.shopify_fulfillment_state, "pending")
        backorder = sale.picking_ids - picking
        self.assertEqual(backorder.move_ids.product_uom_qty, 1)
        message = picking._job_shopify_fulfil()
        self.assertEqual(picking.shopify_fulfillment_state, "sent", message)
        fulfilments = self.sim.fulfillments(order.id)
        self.assertEqual(len(fulfilments), 1)
        self.assertEqual(fulfilments[0]["lines"], {TEE: 2})
        self.assertEqual(fulfilments[0]["tracking"]["number"], "1Z999")
        self.assertEqual(fulfilments[0]["tracking"]["company"], "UPS")
        self.assertEqual(fulfilments[0]["location"], TX)
        self.assertTrue(fulfilments[0]["notify_customer"])
        self.assertEqual(self.level(TX)["committed"], 1)
        # a retried job (its answer lost) reads first and sends nothing
        picking.shopify_fulfillment_state = "pending"
        message = picking._job_shopify_fulfil()
        self.assertEqual(picking.shopify_fulfillment_state, "sent")
        self.assertIn("Already fulfilled", message)
        self.assertEqual(len(self.sim.fulfillments(order.id)), 1)
        # the backorder ships the last unit, with its own tracking
        backorder.move_ids.quantity = 1
        backorder.move_ids.picked = True
        backorder.shopify_tracking_number = "1Z1000"
        with trap_jobs():
            backorder._action_done()
        backorder._job_shopify_fulfil()
        fulfilments = self.sim.fulfillments(order.id)
        self.assertEqual([f["lines"] for f in fulfilments], [{TEE: 2}, {TEE: 1}])
        self.assertEqual(fulfilments[1]["tracking"]["number"], "1Z1000")
        self.assertEqual(self.level(TX)["committed"], 0)
        self.assertEqual(
            [fo["status"] for fo in self.sim.fulfillment_orders(order.id)], ["CLOSED"]
        )

    def test_a_delivery_across_two_locations_gives_two_fulfilments_once(self):
        """Shopify took the tees from Texas and the mug from New Jersey; Odoo
        ships both from Texas in one delivery: one fulfillmentCreate per
        Shopify location, each with the tracking, never twice."""
        mug = "SYN-MUG-001"
        self.stock(mug, self.bin_b1, 5)
        self.sim.set_available(DEMO_DOMAIN, mug, NJ, 5)
        order = self.sim.create_order(
            DEMO_DOMAIN,
            [(TEE, 2), (mug, 1)],
            shipping_address=TX_ADDRESS,
            location={TEE: TX, mug: NJ},
        )
        self.assertEqual(
            sorted(fo["location"] for fo in self.sim.fulfillment_orders(order.id)),
            [NJ, TX],
        )
        payload = order_payload(self.sim.shop(DEMO_DOMAIN), order)
        with trap_jobs():
            sale, _message, _created = self.env["shopify.order.import"]._sync(
                self.shop, normalize_order(payload)
            )
        picking = sale.picking_ids
        self.assertEqual(len(picking), 1)
        self.assertEqual(picking.location_id.warehouse_id, self.wh_tx)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.shopify_tracking_number = "1Z777"
        picking.shopify_tracking_company = "UPS"
        with trap_jobs():
            picking._action_done()
        self.sim.clear_log()
        message = picking._job_shopify_fulfil()
        self.assertEqual(picking.shopify_fulfillment_state, "sent", message)
        fulfilments = self.sim.fulfillments(order.id)
        self.assertEqual(
            sorted((f["location"], f["lines"]) for f in fulfilments),
            [(NJ, {mug: 1}), (TX, {TEE: 2})],
        )
        self.assertEqual({f["tracking"]["number"] for f in fulfilments}, {"1Z777"})
        self.assertEqual(len(picking.shopify_fulfillment_gid.split(",")), 2)
        creates = [
            e for e in self.sim.log if e["operation_name"] == "FulfillmentCreate"
        ]
        self.assertEqual(len(creates), 2)
        # a retry (its answer lost) reads first and sends neither again
        picking.shopify_fulfillment_state = "pending"
        message = picking._job_shopify_fulfil()
        self.assertIn("Already fulfilled", message)
        self.assertEqual(len(self.sim.fulfillments(order.id)), 2)
        self.assertEqual(
            [fo["status"] for fo in self.sim.fulfillment_orders(order.id)],
            ["CLOSED", "CLOSED"],
        )

    def test_a_sale_beside_a_fulfilment_of_as_many_units_is_held(self):
        """Between two pushes, Synco fulfils 3 units of an imported order and
        Shopify sells 3 on an order whose webhook was lost: committed is
        where it was, which alone reads as an edit.  The fulfilment Synco
        sent is taken into the level's memory: the sale is held, not
        written over (issue 24)."""
        order, sale = self.import_order(quantity=3, location=TX)
        sale._job_shopify_align_location()
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify(TEE, TX), 7)
        self.assertEqual(self.level(TX)["committed"], 3)
        picking = sale.picking_ids
        self.ship_and_fulfil(picking, 3)
        self.assertEqual(picking.shopify_fulfillment_state, "sent")
        self.sim.set_faults(orders_search_lag=3600)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 3)], location=TX)  # lost
        self.assertEqual(self.level(TX)["committed"], 3)  # 3 out, 3 in
        self.stock(TEE, self.bin_b1, 1)  # Odoo 8 at Texas
        self.env.cr.flush()
        with trap_jobs():
            self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify(TEE, TX), 5)  # 8 less the 3 sold
        held = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id.name == TX
        )
        self.assertEqual((held.held_qty, held.drop_sold_qty), (3, 3))

    def test_refused_fulfilment_shows_on_picking_and_order(self):
        order, sale = self.import_order(quantity=1)
        self.sim.cancel_order(order.id)  # Shopify closed it meanwhile
        picking = sale.picking_ids
        self.ship_and_fulfil(picking, 1)
        # shipped although Shopify cancelled it: a human decides
        self.assertEqual(picking.shopify_fulfillment_state, "failed")
        self.assertIn("cancelled in Shopify", picking.shopify_fulfillment_message)
        self.assertIn("cancelled in Shopify", sale.message_ids[0].body)
        self.assertEqual(self.sim.fulfillments(order.id), [])

    def test_notify_customer_follows_the_shop(self):
        self.shop.fulfillment_notify_customer = False
        order, sale = self.import_order(quantity=1)
        picking = sale.picking_ids
        self.ship_and_fulfil(picking, 1)
        self.assertFalse(self.sim.fulfillments(order.id)[0]["notify_customer"])
        # Shopify fulfilled from New Jersey, where its fulfilment order stayed
        self.assertEqual(self.sim.fulfillments(order.id)[0]["location"], NJ)


@tagged("post_install", "-at_install")
class TestFulfilmentService(FulfilmentCase):
    """A location a 3PL app runs: its orders are the app's, never Synco's."""

    def setUp(self):
        super().setUp()
        location = self.sim.add_location(
            DEMO_DOMAIN, "Fast 3PL", fulfillment_service="Fast 3PL App"
        )
        with self.sim.lock:
            shop = self.sim.shop(DEMO_DOMAIN)
            self.sim.store.stock(shop, shop.item_for(TEE), location, 20)
        self.shop.action_import_locations()
        self.loc_3pl = self.shop.location_ids.filtered(
            lambda loc: loc.name == "Fast 3PL"
        )
        self.assertTrue(self.loc_3pl.fulfillment_service)
        self.assertFalse(self.loc_nj.fulfillment_service)

    def _order_at_3pl(self):
        order = self.sim.create_order(
            DEMO_DOMAIN, [(TEE, 2)], shipping_address=TX_ADDRESS, location="Fast 3PL"
        )
        return order, normalize_order(order_payload(self.sim.shop(DEMO_DOMAIN), order))

    def test_a_fulfilment_service_order_is_left_out_by_default(self):
        self.assertEqual(self.shop.fulfillment_service_orders, "skip")
        order, data = self._order_at_3pl()
        with trap_jobs() as trap:
            sale, message, created = self.env["shopify.order.import"]._sync(
                self.shop, data
            )
        self.assertFalse(sale)
        self.assertFalse(created)
        self.assertIn("Left out", message)
        self.assertIn("Fast 3PL", message)
        self.assertIn("fulfilment service", message)
        self.assertEqual(trap.enqueued_jobs, [])
        self.assertFalse(
            self.env["sale.order"].search([("shopify_order_gid", "=", data["gid"])])
        )
        self.assertEqual(
            [fo["location"] for fo in self.sim.fulfillment_orders(order.id)],
            ["Fast 3PL"],
        )

    def test_imported_it_is_never_moved_nor_fulfilled(self):
        self.shop.fulfillment_service_orders = "import"
        order, data = self._order_at_3pl()
        with trap_jobs():
            sale, _message, created = self.env["shopify.order.import"]._sync(
                self.shop, data
            )
        self.assertTrue(created)
        self.assertEqual(sale.warehouse_id, self.wh_tx)
        self.sim.clear_log()
        message = sale._job_shopify_align_location()
        self.assertEqual(sale.shopify_location_state, "fulfillment_service")
        self.assertIn("Fast 3PL", message)
        self.assertIn("never moves or fulfils", sale.shopify_location_message)
        picking = sale.picking_ids
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        with trap_jobs():
            picking._action_done()
        picking._job_shopify_fulfil()
        self.assertEqual(picking.shopify_fulfillment_state, "nothing")
        self.assertIn("fulfilment service", picking.shopify_fulfillment_message)
        self.assertEqual(self.sim.fulfillments(order.id), [])
        self.assertEqual(
            [fo["location"] for fo in self.sim.fulfillment_orders(order.id)],
            ["Fast 3PL"],
        )
        operations = {e["operation_name"] for e in self.sim.log}
        self.assertFalse(operations & {"FulfillmentOrderMove", "FulfillmentCreate"})


@tagged("post_install", "-at_install")
class TestOrderEdits(FulfilmentCase):
    """Edits and refunds before shipment; late redeliveries."""

    def sync(self, order, event_at=None):
        payload = order_payload(self.sim.shop(DEMO_DOMAIN), order)
        with trap_jobs():
            sale, message, _created = self.env["shopify.order.import"]._sync(
                self.shop, normalize_order(payload), event_at=event_at
            )
        return sale, message

    def reserved(self, sale):
        return sum(sale.picking_ids.move_ids.mapped("quantity"))

    def test_edit_lowers_line_reservation_and_raises_pushed_figure(self):
        order, sale = self.import_order(quantity=3)
        sale._job_shopify_align_location()
        self.bindings[TEE]._job_push_inventory(refresh=True)
        self.assertEqual(self.level(TX)["available"], 7)
        self.assertEqual(self.reserved(sale), 3)
        self.sim.edit_order(order.id, {TEE: 1})
        _sale, message = self.sync(order)
        self.assertIn("3 → 1", message)
        self.assertEqual(sale.order_line.product_uom_qty, 1)
        self.assertEqual(self.reserved(sale), 1)
        self.bindings[TEE]._job_push_inventory(refresh=True)
        self.assertEqual(
            self.level(TX), {"available": 9, "committed": 1, "on_hand": 10}
        )
        # the same event again changes nothing
        _sale, message = self.sync(order)
        self.assertIn("no line changed", message)

    def test_shipped_units_are_not_taken_back(self):
        order, sale = self.import_order(quantity=3)
        picking = sale.picking_ids
        picking.move_ids.quantity = 2
        picking.move_ids.picked = True
        with trap_jobs():
            picking._action_done()
        with self.sim.lock:  # a refund after shipment, as Shopify may allow
            self.sim.store.shop(DEMO_DOMAIN).orders[order.number].lines[0].removed = 2
        _sale, message = self.sync(order)
        self.assertEqual(sale.order_line.product_uom_qty, 2)
        self.assertIn("already shipped", message)
        self.assertIn("already shipped", sale.shopify_message)

    def test_older_redelivery_does_not_roll_back(self):
        order, sale = self.import_order(quantity=3)
        now = datetime.now().replace(microsecond=0)
        self.sim.edit_order(order.id, {TEE: 1})
        self.sync(order, event_at=now)
        self.assertEqual(sale.order_line.product_uom_qty, 1)
        # an orders/updated of before the edit, delivered again late
        with self.sim.lock:
            self.sim.store.shop(DEMO_DOMAIN).orders[order.number].lines[0].removed = 0
        _sale, message = self.sync(order, event_at=now - timedelta(minutes=5))
        self.assertIn("not applied", message)
        self.assertEqual(sale.order_line.product_uom_qty, 1)

    def test_line_added_in_shopify_is_added(self):
        mug = "SYN-MUG-001"
        self.stock(mug, self.bin_b1, 5)
        order, sale = self.import_order(quantity=1)
        payload = order_payload(self.sim.shop(DEMO_DOMAIN), order)
        data = normalize_order(payload)
        variant = self.bindings[mug].shopify_variant_gid
        data["lines"].append(
            dict(
                data["lines"][0],
                gid="gid://shopify/LineItem/999001",
                sku=mug,
                variant_gid=variant,
                quantity=2.0,
                current_quantity=2.0,
                title=mug,
            )
        )
        with trap_jobs():
            _sale, message, _created = self.env["shopify.order.import"]._sync(
                self.shop, data
            )
        self.assertIn("added", message)
        added = sale.order_line.filtered(
            lambda line: line.product_id.default_code == mug
        )
        self.assertEqual(added.product_uom_qty, 2)
        self.assertEqual(added.shopify_line_item_gid, "gid://shopify/LineItem/999001")
        self.assertEqual(
            sum(
                sale.picking_ids.move_ids.filtered(
                    lambda m: m.product_id == added.product_id
                ).mapped("quantity")
            ),
            2,
        )


@tagged("post_install", "-at_install")
class TestWebhookWatchdog(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.shop.write(
            {
                "webhook_secret": "watchdog-secret",
                "webhook_base_url": "http://odoo.test",
            }
        )

    def topics(self):
        return {w.topic for w in self.sim.shop(DEMO_DOMAIN).webhooks.values()}

    def test_cron_only_enqueues_and_the_job_recreates_what_is_missing(self):
        with trap_jobs() as trap:
            self.assertEqual(self.env["shopify.shop"]._cron_webhook_watchdog(), 1)
        trap.assert_enqueued_job(
            self.shop._job_webhook_watchdog,
            properties={"channel": self.shop._job_channel()},
        )
        self.assertEqual(self.topics(), set())  # nothing done by the cron
        message = self.shop._job_webhook_watchdog()
        self.assertIn("orders/create", message)
        self.assertIn("ORDERS_EDITED", self.topics())
        self.assertEqual(len(self.topics()), 6)
        self.sim.delete_webhook_subscriptions(DEMO_DOMAIN, "ORDERS_UPDATED")
        message = self.shop._job_webhook_watchdog()
        self.assertEqual(message, "Re-created: orders/updated.")
        self.assertIn("orders/updated", self.shop.message_ids[0].body)
        self.assertEqual(len(self.topics()), 6)
        self.assertIn("in place", self.shop._job_webhook_watchdog())
