# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shopify's fulfilments on Odoo's deliveries: their fields and their job;
and the job that shows a receipt's stock in transit as incoming in Shopify.

What a delivery sends to Shopify is ``shopify.fulfillment``, what a receipt
out of transit shows is ``shopify.transfer``; the jobs stay here, on the
picking they are about.
"""

from odoo import api, fields, models


class StockPicking(models.Model):
    _inherit = "stock.picking"

    synco_reservation_warning = fields.Text(
        string="Reservation Warning",
        compute="_compute_synco_reservation_warning",
        help="Stock the warehouse holds but this transfer may not reserve: "
        "zones its Shopify mappings exclude.",
    )
    shopify_fulfillment_state = fields.Selection(
        [
            ("pending", "To send"),
            ("sent", "Sent"),
            ("nothing", "Nothing to send"),
            ("failed", "Failed"),
        ],
        string="Shopify Fulfilment",
        readonly=True,
        copy=False,
        index="btree_not_null",
    )
    shopify_fulfillment_gid = fields.Char(
        string="Shopify Fulfilment GID", readonly=True, copy=False
    )
    shopify_fulfillment_message = fields.Text(readonly=True, copy=False)
    shopify_tracking_company = fields.Char(
        string="Carrier (Shopify)",
        copy=False,
        help="Sent with the fulfilment; empty: the delivery carrier, if any.",
    )
    shopify_tracking_number = fields.Char(
        string="Tracking Number (Shopify)",
        copy=False,
        help="Sent with the fulfilment; empty: the carrier tracking reference, if any.",
    )
    shopify_tracking_url = fields.Char(
        string="Tracking URL (Shopify)",
        copy=False,
        help="Sent with the fulfilment; empty: the carrier's tracking link, if any.",
    )

    @api.depends("move_ids.state", "move_ids.quantity", "move_ids.location_id")
    def _compute_synco_reservation_warning(self):
        for picking in self:
            picking.synco_reservation_warning = (
                picking.move_ids._synco_reservation_warning() or False
            )

    def _action_done(self):
        result = super()._action_done()
        self.env["shopify.fulfillment"]._after_done(self)
        return result

    def action_synco_send_fulfillment(self):
        """Send (again) this delivery's fulfilment to Shopify, in a job."""
        for picking in self.env["shopify.fulfillment"]._deliveries(self):
            picking.shopify_fulfillment_state = "pending"
            picking._delay_shopify_fulfil()
        return True

    # ------------------------------------------------------------ fulfilment
    def _delay_shopify_fulfil(self):
        """Enqueue the fulfilment of this delivery in Shopify."""
        self.ensure_one()
        shop = self.sale_id.shopify_shop_id
        return self.with_delay(
            channel=shop._job_channel(),
            identity_key=f"synco_shopify.fulfil:{self.id}",
            description=self.env._(
                "Shopify fulfilment of %(picking)s (%(order)s)",
                picking=self.name,
                order=self.sale_id.shopify_order_name or self.sale_id.name,
            ),
        )._job_shopify_fulfil()

    def _job_shopify_fulfil(self, client=None):
        """Job: tell Shopify what this delivery shipped; never twice.

        See ``shopify.fulfillment._fulfil``.
        """
        return self.env["shopify.fulfillment"]._fulfil(self, client=client)

    # ------------------------------------------------- stock in transit (22)
    def _delay_shopify_transit(self):
        """Enqueue, per shop showing stock in transit, the alignment of these
        receipts' incoming in Shopify (``shopify.transfer._align``)."""
        shops = (
            self.env["shopify.shop"]
            .sudo()
            .search([("show_transit_incoming", "=", True)])
        )
        shops |= (
            self.env["shopify.transfer"]
            .sudo()
            .search([("picking_id", "in", self.ids), ("state", "=", "in_transit")])
            .shop_id
        )
        for picking in self:
            for shop in shops:
                picking.with_delay(
                    channel=shop._job_channel(),
                    identity_key=f"synco_shopify.transit:{shop.id}:{picking.id}",
                    description=self.env._(
                        "Shopify incoming of %(picking)s (%(shop)s)",
                        picking=picking.name,
                        shop=shop.name,
                    ),
                )._job_shopify_transit(shop)

    def _job_shopify_transit(self, shop, client=None):
        """Job: Shopify's incoming for this receipt = what it holds in transit.

        Idempotent: it sends only the difference with what its
        ``shopify.transfer`` records still show.
        """
        self.ensure_one()
        # whoever validated the receipt, the records are Synco's to keep
        return (
            self.env["shopify.transfer"]
            .sudo()
            ._align(shop.sudo(), self.sudo(), client=client)
        )
