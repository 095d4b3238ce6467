# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shopify's orders on Odoo's sale orders: their fields and their one job.

The import itself is ``shopify.order.import``; the alignment of Shopify's
fulfilment location, ``shopify.fulfillment``.  The job stays here, on the
order it is about.
"""

from odoo import api, fields, models


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

    shopify_delivery_method = fields.Selection(
        [
            ("shipping", "Shipping"),
            ("pick_up", "Pickup in store"),
            ("local", "Local delivery"),
            ("retail", "Counter sale"),
        ],
        string="Shopify Delivery",
        readonly=True,
        copy=False,
        help="How Shopify hands the order over (its fulfilment orders' "
        "delivery method): a counter sale left the store at the till.",
    )
    shopify_location_id = fields.Many2one(
        "shopify.location",
        string="Shopify Fulfilment Location",
        readonly=True,
        copy=False,
        help="Where Shopify's fulfilment orders of this order are assigned, "
        "as last read.",
    )
    shopify_location_state = fields.Selection(
        [
            ("pending", "To check"),
            ("aligned", "Same location as Odoo"),
            ("moved", "Moved to Odoo's location"),
            ("refused", "Shopify kept its location"),
            ("unmapped", "Routed warehouse not mapped"),
            ("fulfillment_service", "A fulfilment service ships it"),
        ],
        string="Shopify Location Story",
        readonly=True,
        copy=False,
        help="Whether Shopify ships this order from the location mapped to the "
        "warehouse Odoo routed it to.",
    )
    shopify_location_message = fields.Text(readonly=True, copy=False)
    shopify_updated_at = fields.Datetime(
        string="Shopify Data Of",
        readonly=True,
        copy=False,
        help="When Shopify triggered the newest event (or update) applied to "
        "this order: an older redelivery is not applied over it.",
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

    # -------------------------------------------------------- location story
    def _delay_shopify_align_location(self):
        """Enqueue the move of Shopify's fulfilment orders to Odoo's location."""
        self.ensure_one()
        shop = self.shopify_shop_id
        return self.with_delay(
            channel=shop._job_channel(),
            identity_key=f"synco_shopify.align_location:{self.id}",
            description=self.env._(
                "Shopify fulfilment location of %(order)s (%(shop)s)",
                order=self.shopify_order_name or self.name,
                shop=shop.name,
            ),
        )._job_shopify_align_location()

    def _synco_handed_over(self):
        """A counter, pickup or local order with goods handed over already."""
        self.ensure_one()
        return self.shopify_delivery_method in ("retail", "pick_up", "local") and any(
            p.state == "done" and p.location_dest_id.usage == "customer"
            for p in self.picking_ids
        )

    def _job_shopify_align_location(self, client=None):
        """Job: Shopify ships from where Odoo ships; idempotent.

        See ``shopify.fulfillment._align_location``.
        """
        return self.env["shopify.fulfillment"]._align_location(self, client=client)
