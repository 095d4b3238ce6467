# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json
import logging

from markupsafe import Markup, escape

from odoo import api, fields, models

_logger = logging.getLogger(__name__)


class SaleOrder(models.Model):
    _inherit = "sale.order"

    shopify_shop_id = fields.Many2one(
        "shopify.shop", readonly=True, index="btree_not_null", copy=False
    )
    shopify_order_gid = fields.Char(
        string="Shopify Order GID", readonly=True, copy=False, index="btree_not_null"
    )
    shopify_order_id = fields.Char(string="Shopify Order ID", readonly=True, copy=False)
    shopify_order_name = fields.Char(string="Shopify Order", readonly=True, copy=False)
    shopify_state = fields.Selection(
        [
            ("imported", "Imported and reserved"),
            ("exception", "Exception"),
            ("cancelled", "Cancelled in Shopify"),
            ("partially_cancelled", "Cancelled after partial fulfilment"),
        ],
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    shopify_message = fields.Text(readonly=True, copy=False)
    shopify_route_id = fields.Many2one(
        "shopify.order.route",
        string="Routing Rule",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The rule that chose the warehouse; empty: the shop's default.",
    )
    shopify_origin = fields.Selection(
        [("webhook", "Webhook"), ("poll", "Poll")],
        string="Imported By",
        readonly=True,
        copy=False,
    )

    synco_reservation_warning = fields.Text(
        string="Reservation Warning",
        compute="_compute_synco_reservation_warning",
        help="Why a delivery is short although the warehouse holds the stock: "
        "it sits in zones the Shopify mapping excludes.",
    )

    _shopify_order_uniq = models.Constraint(
        "UNIQUE (shopify_shop_id, shopify_order_gid)",
        "This Shopify order is already imported.",
    )

    @api.depends("picking_ids.synco_reservation_warning")
    def _compute_synco_reservation_warning(self):
        for order in self:
            pickings = order.picking_ids.filtered(
                lambda p: p.state not in ("done", "cancel")
            )
            order.synco_reservation_warning = (
                "\n".join(filter(None, pickings.mapped("synco_reservation_warning")))
                or False
            )

    # ------------------------------------------------------------------ import
    @api.model
    def _synco_shopify_sync(self, shop, data, origin="webhook"):
        """Bring Odoo in line with one Shopify order; idempotent.

        :param data: a normalised order (``lib.shopify.normalize_order``)
        :return: (sale order or empty, message, whether it was created now)

        A new order is created, and confirmed when every line is bound (Odoo
        then reserves the stock in the routed warehouse).  A known order is
        left alone, except that a cancellation is applied and an order held
        in exception is tried again (its bindings may exist now).
        """
        orders = self.with_company(shop.company_id)
        self.env["shopify.webhook.event"]._order_lock(shop, data["gid"])
        order = orders.search(
            [
                ("shopify_shop_id", "=", shop.id),
                ("shopify_order_gid", "=", data["gid"]),
            ]
        )
        if order:
            if data["cancelled"]:
                return order, order._synco_shopify_cancel(), False
            if order.shopify_state == "exception" and order.state == "draft":
                return order, order._synco_shopify_fill(shop, data), False
            return order, self.env._("Order already imported."), False
        if data["cancelled"]:
            return orders, self.env._("Cancelled before import: nothing to do."), False
        warehouse, route = shop._synco_route_order(data)
        partner, shipping = orders._synco_shopify_partner(shop, data)
        order = orders.create(
            {
                "partner_id": partner.id,
                "partner_invoice_id": partner.id,
                "partner_shipping_id": shipping.id,
                "company_id": shop.company_id.id,
                "warehouse_id": warehouse.id,
                "pricelist_id": orders._synco_shopify_pricelist(shop, data).id,
                "client_order_ref": data["name"],
                "origin": f"Shopify {data['name']}",
                "shopify_shop_id": shop.id,
                "shopify_order_gid": data["gid"],
                "shopify_order_id": data["id"],
                "shopify_order_name": data["name"],
                "shopify_route_id": route.id,
                "shopify_origin": origin,
            }
        )
        return order, order._synco_shopify_fill(shop, data), True

    def _synco_shopify_fill(self, shop, data):
        """Create the lines (again) and confirm, or hold the order in exception."""
        self.ensure_one()
        self.order_line.unlink()
        lines, unknown = self._synco_shopify_lines(shop, data)
        self.write({"order_line": [(0, 0, vals) for vals in lines]})
        if unknown:
            message = self.env._(
                "Shopify order %(name)s has lines without product binding: "
                "%(lines)s. Bind the products, then reprocess the webhook event "
                "(or wait for the next poll).",
                name=data["name"],
                lines=", ".join(
                    f"{line['sku'] or line['variant_gid'] or line['title']} "
                    f"× {line['quantity']:g}"
                    for line in unknown
                ),
            )
            self.write({"shopify_state": "exception", "shopify_message": message})
            self.message_post(
                body=Markup("<p>%s</p><pre>%s</pre>")
                % (message, json.dumps(data["lines"], indent=1))
            )
            return message
        self.action_confirm()
        self._synco_shopify_forget_levels()
        if self.synco_reservation_warning:
            self.message_post(
                body=Markup("<br/>").join(self.synco_reservation_warning.splitlines())
            )
        self.write({"shopify_state": "imported", "shopify_message": False})
        return self.env._(
            "Imported and confirmed in %(warehouse)s.",
            warehouse=self.warehouse_id.name,
        )

    def _synco_shopify_lines(self, shop, data):
        """(sale line values, unbound Shopify lines): by variant GID, then SKU."""
        Binding = self.env["shopify.product.binding"]
        bindings = Binding.search(
            [
                ("shop_id", "=", shop.id),
                "|",
                (
                    "shopify_variant_gid",
                    "in",
                    [
                        line["variant_gid"]
                        for line in data["lines"]
                        if line["variant_gid"]
                    ],
                ),
                ("sku", "in", [line["sku"] for line in data["lines"] if line["sku"]]),
            ]
        )
        by_variant = {
            b.shopify_variant_gid: b for b in bindings if b.shopify_variant_gid
        }
        by_sku = {b.sku: b for b in bindings if b.sku}
        lines, unknown = [], []
        for line in data["lines"]:
            binding = by_variant.get(line["variant_gid"]) or by_sku.get(line["sku"])
            if not binding:
                unknown.append(line)
                continue
            lines.append(
                {
                    "product_id": binding.product_id.id,
                    "product_uom_qty": line["quantity"],
                    "price_unit": float(line["price"]),
                    "technical_price_unit": float(line["price"]),
                    # Shopify's prices are what the customer pays; its taxes
                    # are Shopify's business, not recomputed here
                    "tax_ids": [(6, 0, [])],
                }
            )
        return lines, unknown

    def _synco_shopify_forget_levels(self):
        """Shopify already counted this sale: read its levels before the push.

        Shopify took the units out of its pool when the order was placed;
        Odoo's reservation now lowers Odoo's figure too.  Compare-and-set
        from our last known level would count the sale twice, so the push
        reads the current level first.
        """
        products = self.order_line.product_id
        levels = (
            self.env["shopify.inventory.level"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.shopify_shop_id.id),
                    ("product_id", "in", products.ids),
                ]
            )
        )
        # the sale may have been held already (a push saw Shopify's level
        # drop): this order explains it, so the units stop being held
        quantities = {}
        for line in self.order_line:
            quantities[line.product_id.id] = (
                quantities.get(line.product_id.id, 0) + line.product_uom_qty
            )
        routed = self.shopify_shop_id.mapping_ids.filtered(
            lambda m: (
                m.state == "active"
                and self.warehouse_id in m.source_ids.location_id.warehouse_id
            )
        ).shopify_location_id
        levels._synco_release(quantities, preferred_locations=routed)
        levels.shopify_known = False

    @api.model
    def _synco_shopify_pricelist(self, shop, data):
        """A pricelist in the order's currency (created when missing)."""
        Currency = self.env["res.currency"].with_context(active_test=False)
        currency = Currency.search([("name", "=", data.get("currency") or "")], limit=1)
        currency = currency or shop.company_id.currency_id
        if not currency.active:
            currency.sudo().active = True
        Pricelist = self.env["product.pricelist"]
        pricelist = Pricelist.search(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", (False, shop.company_id.id)),
            ],
            limit=1,
        )
        if pricelist:
            return pricelist
        # Pricelists exist only with the feature on: without it, the next
        # save of the settings would archive them (and warn on opening)
        feature = self.env.ref("product.group_product_pricelist")
        self.env.ref("base.group_user").sudo()._apply_group(feature)
        return Pricelist.sudo().create(
            {
                "name": f"Shopify {currency.name}",
                "currency_id": currency.id,
                "company_id": shop.company_id.id,
            }
        )

    @api.model
    def _synco_shopify_partner(self, shop, data):
        """(customer, shipping address): found by email, else created."""
        Partner = self.env["res.partner"]
        shipping = data.get("shipping") or {}
        country, state = shop._synco_country_state(shipping)
        address = {
            "street": shipping.get("street") or False,
            "street2": shipping.get("street2") or False,
            "city": shipping.get("city") or False,
            "zip": shipping.get("zip") or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
        }
        email = data.get("email")
        partner = Partner
        if email:
            partner = Partner.search(
                [("email", "=ilike", email), ("parent_id", "=", False)], limit=1
            )
        if not partner:
            partner = Partner.create(
                {
                    "name": data.get("customer_name")
                    or shipping.get("name")
                    or email
                    or data["name"],
                    "email": email or False,
                    "phone": shipping.get("phone") or False,
                    "company_id": shop.company_id.id,
                    **address,
                }
            )
            return partner, partner
        if not address["street"] and not address["zip"]:
            return partner, partner

        def same(p):
            return all(
                (p[k].id if k.endswith("_id") else p[k]) == v
                for k, v in address.items()
            )

        if same(partner):
            return partner, partner
        for child in partner.child_ids.filtered(lambda c: c.type == "delivery"):
            if same(child):
                return partner, child
        child = Partner.create(
            {
                "parent_id": partner.id,
                "type": "delivery",
                "name": shipping.get("name") or partner.name,
                **address,
            }
        )
        return partner, child

    # ---------------------------------------------------------- cancellation
    def _synco_shopify_cancel(self):
        """Shopify cancelled the order: release what Odoo still holds.

        Before any delivery the order and its pickings are cancelled (the
        reservation goes with them); after a partial one the remaining
        transfers are cancelled and the order is flagged.
        """
        self.ensure_one()
        if self.state == "cancel" or self.shopify_state in (
            "cancelled",
            "partially_cancelled",
        ):
            return self.env._("Already cancelled.")
        delivered = self.picking_ids.filtered(lambda p: p.state == "done")
        if not delivered:
            self._action_cancel()
            self._synco_shopify_forget_levels()
            self.shopify_state = "cancelled"
            message = self.env._("Cancelled in Shopify: order and transfers cancelled.")
            self.message_post(body=escape(message))
            return message
        remaining = self.picking_ids.filtered(
            lambda p: p.state not in ("done", "cancel")
        )
        remaining.action_cancel()
        self._synco_shopify_forget_levels()
        message = self.env._(
            "Cancelled in Shopify after a partial delivery (%(done)s): the "
            "remaining transfers %(rest)s are cancelled; check the delivered "
            "goods and the refund.",
            done=", ".join(delivered.mapped("name")),
            rest=", ".join(remaining.mapped("name")) or "-",
        )
        self.write({"shopify_state": "partially_cancelled", "shopify_message": message})
        self.message_post(body=escape(message))
        return message
