# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs

from ..lib.shopify import normalize_order, sign
from .common import SyncoCase

SECRET = "test-secret"


def order_payload(number, lines, zip_code="07001", state="NJ", country="US", **kw):
    """A Shopify ``orders/create`` body (REST style), trimmed to what we read."""
    payload = {
        "id": number,
        "admin_graphql_api_id": f"gid://shopify/Order/{number}",
        "name": f"#{number}",
        "email": kw.get("email", "jane@example.com"),
        "currency": kw.get("currency", "USD"),
        "cancelled_at": kw.get("cancelled_at"),
        "updated_at": "2026-07-01T10:00:00-04:00",
        "customer": {"first_name": "Jane", "last_name": "Doe"},
        "shipping_address": {
            "first_name": "Jane",
            "last_name": "Doe",
            "address1": "1 Main St",
            "city": "Somewhere",
            "zip": zip_code,
            "province_code": state,
            "country_code": country,
        },
        "line_items": [
            {
                "id": number * 100 + i,
                "variant_id": variant,
                "sku": sku,
                "quantity": qty,
                "price": price,
                "name": sku,
            }
            for i, (sku, variant, qty, price) in enumerate(lines)
        ],
    }
    return payload


@tagged("post_install", "-at_install")
class TestOrderImport(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Binding = cls.env["shopify.product.binding"]
        cls.tee_binding = Binding.create(
            {
                "shop_id": cls.shop.id,
                "product_id": cls.tee.id,
                "sku": cls.tee.default_code,
                "shopify_variant_gid": "gid://shopify/ProductVariant/11",
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/21",
            }
        )
        cls.mug_binding = Binding.create(
            {
                "shop_id": cls.shop.id,
                "product_id": cls.mug.id,
                "sku": cls.mug.default_code,
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/22",
            }
        )
        cls.map_nj = cls._mapping(cls.loc_nj, cls.wh_nj.lot_stock_id)
        cls.map_tx = cls._mapping(cls.loc_tx, cls.wh_tx.lot_stock_id)
        cls.shop.default_warehouse_id = cls.wh_nj
        cls.env["shopify.order.route"].create(
            {
                "name": "Texas",
                "shop_id": cls.shop.id,
                "zip_ranges": "73300-73399, 75000-79999",
                "warehouse_id": cls.wh_tx.id,
            }
        )
        Quant = cls.env["stock.quant"]
        Quant._update_available_quantity(cls.tee, cls.wh_nj.lot_stock_id, 40)
        Quant._update_available_quantity(cls.tee, cls.wh_tx.lot_stock_id, 40)
        Quant._update_available_quantity(cls.mug, cls.wh_nj.lot_stock_id, 10)
        cls.env.cr.flush()

    def _sync(self, payload):
        return self.env["shopify.order.import"]._sync(
            self.shop, normalize_order(payload)
        )

    def _free(self, product, warehouse):
        quants = self.env["stock.quant"].search(
            [
                ("product_id", "=", product.id),
                ("location_id", "child_of", warehouse.lot_stock_id.id),
            ]
        )
        return sum(quants.mapped("quantity")) - sum(quants.mapped("reserved_quantity"))

    def test_import_reserves_in_routed_warehouse(self):
        payload = order_payload(
            5001,
            [("SYN-TEST-TEE", 11, 3, "24.50"), ("SYN-TEST-MUG", 99, 1, "9.00")],
            zip_code="73301",
            state="TX",
        )
        with trap_jobs() as trap:
            order, _message, created = self._sync(payload)
            self.env.cr.flush()
        self.assertTrue(created)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.shopify_state, "imported")
        self.assertEqual(order.warehouse_id, self.wh_tx)
        self.assertEqual(order.shopify_route_id.name, "Texas")
        self.assertEqual(order.shopify_order_gid, "gid://shopify/Order/5001")
        self.assertEqual(order.currency_id.name, "USD")
        tee_line = order.order_line.filtered(lambda line: line.product_id == self.tee)
        self.assertEqual(tee_line.price_unit, 24.5)
        self.assertEqual(order.amount_total, 3 * 24.5 + 9)
        self.assertEqual(order.partner_id.email, "jane@example.com")
        self.assertEqual(order.partner_shipping_id.country_id.code, "US")
        self.assertEqual(order.partner_shipping_id.state_id.code, "TX")
        self.assertEqual(self._free(self.tee, self.wh_tx), 37)
        self.assertEqual(self._free(self.tee, self.wh_nj), 40)
        self.assertEqual(order.picking_ids.picking_type_id.warehouse_id, self.wh_tx)
        # the reservation enqueues the push of the product
        self.assertIn(
            self.tee_binding,
            {job.recordset for job in trap.enqueued_jobs},
        )

    def test_a_new_currency_pricelist_turns_the_pricelist_feature_on(self):
        """Without the feature, saving the settings would archive it."""
        feature = self.env.ref("product.group_product_pricelist")
        employees = self.env.ref("base.group_user").sudo()
        employees._remove_group(feature)
        self.env["product.pricelist"].search(
            [("currency_id.name", "=", "EUR")]
        ).action_archive()
        self.assertNotIn(feature, employees.all_implied_ids)
        pricelist = self.env["shopify.order.customer"]._pricelist(
            self.shop, {"currency": "EUR"}
        )
        self.assertEqual(pricelist.currency_id.name, "EUR")
        self.assertIn(feature, employees.all_implied_ids)

    def test_idempotent_on_order_id(self):
        payload = order_payload(5002, [("SYN-TEST-TEE", 11, 2, "24.00")])
        order, _msg, created = self._sync(payload)
        again, _msg, created_again = self._sync(payload)
        self.assertTrue(created)
        self.assertFalse(created_again)
        self.assertEqual(order, again)
        self.assertEqual(self._free(self.tee, self.wh_nj), 38)
        # the same customer is found by email for the next order
        other, _msg, _c = self._sync(order_payload(5003, [("SYN-TEST-MUG", 0, 1, "9")]))
        self.assertEqual(other.partner_id, order.partner_id)

    def test_unknown_sku_holds_the_order(self):
        payload = order_payload(
            5004, [("SYN-TEST-TEE", 11, 1, "24.00"), ("NOPE-1", 77, 2, "5.00")]
        )
        order, message, _created = self._sync(payload)
        self.assertEqual(order.state, "draft")
        self.assertEqual(order.shopify_state, "exception")
        self.assertIn("NOPE-1", order.shopify_message)
        self.assertIn("NOPE-1", message)
        self.assertIn("NOPE-1", order.message_ids[:1].body)
        self.assertEqual(self._free(self.tee, self.wh_nj), 40)  # nothing reserved
        # bind the product, process again: confirmed
        nope = self._product("NOPE-1")
        self.env["shopify.product.binding"].create(
            {
                "shop_id": self.shop.id,
                "product_id": nope.id,
                "sku": "NOPE-1",
                "shopify_inventory_item_gid": "gid://shopify/InventoryItem/77",
            }
        )
        again, _message, _created = self._sync(payload)
        self.assertEqual(again, order)
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.shopify_state, "imported")
        self.assertEqual(len(order.order_line), 2)

    def test_cancel_before_fulfilment_releases(self):
        payload = order_payload(5005, [("SYN-TEST-TEE", 11, 4, "24.00")])
        order, _msg, _c = self._sync(payload)
        self.assertEqual(self._free(self.tee, self.wh_nj), 36)
        payload["cancelled_at"] = "2026-07-01T11:00:00-04:00"
        _order, message, _c = self._sync(payload)
        self.assertEqual(order.state, "cancel")
        self.assertEqual(order.shopify_state, "cancelled")
        self.assertEqual(set(order.picking_ids.mapped("state")), {"cancel"})
        self.assertEqual(self._free(self.tee, self.wh_nj), 40)
        _order, message, _c = self._sync(payload)  # orders/updated after it
        self.assertEqual(message, "Already cancelled.")

    def test_cancel_after_partial_fulfilment(self):
        payload = order_payload(5006, [("SYN-TEST-TEE", 11, 4, "24.00")])
        order, _msg, _c = self._sync(payload)
        picking = order.picking_ids
        picking.move_ids.quantity = 1
        picking.move_ids.picked = True
        picking.with_context(skip_backorder=True).button_validate()
        backorder = order.picking_ids - picking
        self.assertTrue(backorder, "a backorder holds the 3 units left")
        payload["cancelled_at"] = "2026-07-01T11:00:00-04:00"
        self._sync(payload)
        self.assertEqual(order.shopify_state, "partially_cancelled")
        self.assertEqual(order.state, "sale")
        self.assertEqual(picking.state, "done")
        self.assertEqual(backorder.state, "cancel")
        self.assertEqual(self._free(self.tee, self.wh_nj), 39)
        self.assertIn(backorder.name, order.shopify_message)

    def test_cancelled_before_import_creates_nothing(self):
        payload = order_payload(
            5007,
            [("SYN-TEST-TEE", 11, 1, "24.00")],
            cancelled_at="2026-07-01T11:00:00-04:00",
        )
        order, _msg, created = self._sync(payload)
        self.assertFalse(order)
        self.assertFalse(created)

    def test_graphql_node_normalised_like_the_webhook(self):
        node = {
            "id": "gid://shopify/Order/5008",
            "name": "#5008",
            "updatedAt": "2026-07-01T14:00:00Z",
            "cancelledAt": None,
            "currencyCode": "USD",
            "email": "jane@example.com",
            "customer": {"firstName": "Jane", "lastName": "Doe"},
            "shippingAddress": {
                "name": "Jane Doe",
                "address1": "1 Main St",
                "city": "Somewhere",
                "zip": "07001",
                "provinceCode": "NJ",
                "countryCodeV2": "US",
            },
            "lineItems": {
                "nodes": [
                    {
                        "id": "gid://shopify/LineItem/1",
                        "sku": "SYN-TEST-TEE",
                        "quantity": 2,
                        "variant": {"id": "gid://shopify/ProductVariant/11"},
                        "originalUnitPriceSet": {
                            "shopMoney": {"amount": "24.0", "currencyCode": "USD"}
                        },
                    }
                ]
            },
            "fulfillmentOrders": {
                "nodes": [
                    {
                        "assignedLocation": {
                            "location": {"id": "gid://shopify/Location/1"}
                        }
                    }
                ]
            },
        }
        rest = order_payload(5008, [("SYN-TEST-TEE", 11, 2, "24.0")])
        a, b = normalize_order(node), normalize_order(rest)
        self.assertEqual(a["location_gids"], ["gid://shopify/Location/1"])
        for key in ("gid", "id", "name", "email", "currency", "cancelled"):
            self.assertEqual(a[key], b[key], key)
        self.assertEqual(a["lines"][0]["variant_gid"], b["lines"][0]["variant_gid"])
        self.assertEqual(a["shipping"]["zip"], b["shipping"]["zip"])

    def test_level_webhook_records_drift_never_writes_stock(self):
        self.shop.correct_drift_on_webhook = False
        check = self.shop._synco_check_level
        item = self.tee_binding.shopify_inventory_item_gid
        state, _msg = check(item, self.loc_nj.shopify_gid, 40)
        self.assertEqual(state, "processed")
        self.assertFalse(
            self.env["shopify.drift"].search([("shop_id", "=", self.shop.id)])
        )
        with trap_jobs() as trap:
            state, _message = check(item, self.loc_nj.shopify_gid, 33)
        drift = self.env["shopify.drift"].search([("shop_id", "=", self.shop.id)])
        self.assertEqual(
            (drift.expected_qty, drift.shopify_qty, drift.difference, drift.state),
            (40, 33, -7, "open"),
        )
        self.assertFalse(trap.enqueued_jobs)
        self.assertEqual(self._free(self.tee, self.wh_nj), 40)
        self.shop.correct_drift_on_webhook = True
        with trap_jobs() as trap:
            check(item, self.loc_nj.shopify_gid, 33)
        self.assertEqual(
            [job.recordset for job in trap.enqueued_jobs], [self.tee_binding]
        )
        state, _msg = check(
            "gid://shopify/InventoryItem/404", self.loc_nj.shopify_gid, 1
        )
        self.assertEqual(state, "ignored")

    def test_event_store_once_and_process(self):
        body = json.dumps(order_payload(5009, [("SYN-TEST-TEE", 11, 1, "24")])).encode()
        headers = {
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Event-Id": "evt-5009",
            "X-Shopify-Webhook-Id": "wh-1",
            "X-Shopify-Triggered-At": "2026-07-01T14:00:00.123Z",
            "X-Shopify-Hmac-Sha256": sign(body, SECRET),
        }
        Event = self.env["shopify.webhook.event"]
        event = Event._store(self.shop, headers, body)
        self.assertTrue(event)
        self.assertIsNone(Event._store(self.shop, dict(headers), body))
        self.assertEqual(event.topic, "orders/create")
        self.assertEqual(str(event.triggered_at), "2026-07-01 14:00:00")
        with trap_jobs() as trap:
            event._delay_process()
        self.assertEqual([j.method_name for j in trap.enqueued_jobs], ["_job_process"])
        job = trap.enqueued_jobs[0]
        self.assertEqual(job.identity_key, f"synco_shopify.webhook:{event.id}")
        self.assertEqual(job.channel, self.shop._job_channel())
        event._job_process()
        self.assertEqual(event.state, "processed")
        self.assertEqual(event.sale_order_id.shopify_order_id, "5009")
        self.assertEqual(event._job_process(), "Already processed.")
        # a failing event keeps its message and can be reprocessed
        bad = Event._store(
            self.shop,
            {"X-Shopify-Topic": "inventory_levels/update", "X-Shopify-Event-Id": "e2"},
            b'{"location_id": 1}',
        )
        bad._job_process()
        self.assertEqual(bad.state, "failed")
        self.assertIn("inventory_item_id", bad.error_message)
