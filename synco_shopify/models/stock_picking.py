# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import logging

from markupsafe import escape

from odoo import api, fields, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.shopify import ShopifyError, ShopifyRetryableError
from ..lib.shopify.fulfillments import ACTIVE_STATUSES

_logger = logging.getLogger(__name__)


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
        self._synco_shopify_after_done()
        return result

    def action_synco_send_fulfillment(self):
        """Send (again) this delivery's fulfilment to Shopify, in a job."""
        for picking in self._synco_shopify_deliveries():
            picking.shopify_fulfillment_state = "pending"
            picking._synco_delay_fulfil()
        return True

    # ------------------------------------------------------------ fulfilment
    def _synco_shopify_deliveries(self):
        """Done deliveries to the customer of imported Shopify orders."""
        return self.filtered(
            lambda p: (
                p.state == "done"
                and p.sale_id.shopify_shop_id
                and p.sale_id.shopify_order_gid
                and p.location_dest_id.usage == "customer"
                and p.location_id.usage != "customer"
            )
        )

    def _synco_shopify_after_done(self):
        """Deliveries enqueue their fulfilment; returns are left to humans."""
        deliveries = self._synco_shopify_deliveries()
        for picking in deliveries:
            picking.shopify_fulfillment_state = "pending"
            picking._synco_delay_fulfil()
        returns = self.filtered(
            lambda p: (
                p.state == "done"
                and p.sale_id.shopify_shop_id
                and p.location_id.usage == "customer"
            )
        )
        for picking in returns:
            picking.sale_id.message_post(
                body=escape(
                    self.env._(
                        "Return %(picking)s validated after shipment: nothing is "
                        "sent to Shopify; handle the return and the refund in "
                        "Shopify.",
                        picking=picking.name,
                    )
                )
            )

    def _synco_delay_fulfil(self):
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
        )._synco_shopify_fulfil()

    def _synco_tracking(self):
        """{company, number, url} for Shopify, ours first, then the carrier's."""
        self.ensure_one()
        carrier = self["carrier_id"] if "carrier_id" in self._fields else None
        return {
            "company": self.shopify_tracking_company or (carrier and carrier.name),
            "number": self.shopify_tracking_number
            or (
                self["carrier_tracking_ref"]
                if "carrier_tracking_ref" in self._fields
                else None
            ),
            "url": self.shopify_tracking_url
            or (
                self["carrier_tracking_url"]
                if "carrier_tracking_url" in self._fields
                else None
            ),
        }

    def _synco_shopify_fulfil(self, client=None):
        """Job: tell Shopify what this delivery shipped; never twice.

        Idempotent by reading first: Shopify's fulfilled quantity of each
        order line (current minus unfulfilled) is compared with what Odoo
        delivered (``qty_delivered``); only the difference is fulfilled,
        from the remaining quantities of the open fulfilment orders (the one
        at the picking's location first), one ``fulfillmentCreate`` per
        location, with the tracking and the shop's notification setting.
        A retry after a lost answer, or a killed server, finds nothing left
        and sends nothing (``fulfillmentCreate`` documents no
        ``@idempotent`` support).  The order's advisory lock keeps the jobs
        of two deliveries of one order from reading the same figures.
        Partial deliveries give partial fulfilments, backorders later ones.
        A refusal, or the last retry of a network failure, marks the picking
        failed and is posted on the picking and the order.
        """
        self.ensure_one()
        order = self.sale_id
        shop = order.shopify_shop_id
        if self.state != "done" or self.shopify_fulfillment_state in (
            "sent",
            "nothing",
        ):
            return self.env._(
                "Nothing to do: %(state)s.", state=self.shopify_fulfillment_state
            )
        if shop.sync_frozen:
            raise RetryableJobError(
                self.env._("The shop is frozen: the fulfilment waits."), seconds=600
            )
        self.env["shopify.webhook.event"]._order_lock(shop, order.shopify_order_gid)
        try:
            client = client or shop._get_client()
            data = client.fulfillment_orders(order.shopify_order_gid)
            if data is None:
                return self._synco_fulfil_failed(
                    self.env._(
                        "Shopify does not know order %(order)s.",
                        order=order.shopify_order_name,
                    )
                )
            if not self.move_ids.sale_line_id.filtered("shopify_line_item_gid"):
                return self._synco_fulfil_finish(
                    "nothing",
                    self.env._("No line of this delivery comes from Shopify."),
                )
            if data["cancelled"]:
                return self._synco_fulfil_failed(
                    self.env._(
                        "order %(order)s is cancelled in Shopify, but Odoo "
                        "shipped it; the goods and the refund need a human",
                        order=order.shopify_order_name,
                    )
                )
            todo = self._synco_fulfil_todo(data)
            if not todo:
                # a previous attempt landed (its answer was lost, or the
                # server died) or another delivery's job sent these units
                return self._synco_fulfil_finish(
                    "sent",
                    self.env._("Already fulfilled in Shopify: nothing sent again."),
                )
            groups = self._synco_fulfil_groups(data, todo)
            tracking = self._synco_tracking()
            created = []
            for lines_by_fo in groups.values():
                created.append(
                    client.create_fulfillment(
                        lines_by_fo,
                        tracking=tracking,
                        notify_customer=shop.fulfillment_notify_customer,
                    )
                )
        except ShopifyRetryableError as exc:
            if self._synco_last_attempt():
                return self._synco_fulfil_failed(str(exc))
            raise RetryableJobError(str(exc), seconds=30) from exc
        except ShopifyError as exc:
            return self._synco_fulfil_failed(str(exc))
        quantity = sum(c["total_quantity"] or 0 for c in created)
        message = self.env._(
            "Fulfilled in Shopify: %(names)s, %(qty)s unit(s)%(tracking)s.",
            names=", ".join(c["name"] or c["id"] for c in created),
            qty=quantity,
            tracking=self.env._(", tracking %(number)s", number=tracking["number"])
            if tracking.get("number")
            else "",
        )
        self.shopify_fulfillment_gid = ",".join(c["id"] for c in created if c["id"])
        return self._synco_fulfil_finish("sent", message)

    def _synco_fulfil_todo(self, data):
        """{Shopify line item GID: units Odoo delivered that Shopify has not}."""
        todo = {}
        lines = self.move_ids.sale_line_id.filtered("shopify_line_item_gid")
        for line in lines:
            known = data["line_items"].get(line.shopify_line_item_gid)
            if known is None:
                continue
            delivered = int(
                line.product_uom_id._compute_quantity(
                    line.qty_delivered, line.product_id.uom_id
                )
                if line.product_uom_id != line.product_id.uom_id
                else line.qty_delivered
            )
            missing = min(delivered, known["current"]) - known["fulfilled"]
            if missing > 0:
                todo[line.shopify_line_item_gid] = missing
        return todo

    def _synco_fulfil_groups(self, data, todo):
        """{location GID: {fulfilment order GID: [(line GID, qty)]}} for ``todo``.

        Open fulfilment orders at the picking's Shopify location come first.
        """
        todo = dict(todo)
        here = set(self.sale_id._synco_routed_locations().mapped("shopify_gid"))
        fos = sorted(
            (
                fo
                for fo in data["fulfillment_orders"]
                if fo["status"] in ACTIVE_STATUSES
            ),
            key=lambda fo: fo["location_gid"] not in here,
        )
        groups = {}
        for fo in fos:
            for fo_line in fo["lines"]:
                want = todo.get(fo_line["line_item_gid"], 0)
                take = min(want, fo_line["remaining"])
                if take <= 0:
                    continue
                todo[fo_line["line_item_gid"]] = want - take
                groups.setdefault(fo["location_gid"], {}).setdefault(
                    fo["id"], []
                ).append((fo_line["id"], take))
        return groups

    def _synco_last_attempt(self):
        """Whether the running job will not be retried after this attempt."""
        uuid = self.env.context.get("job_uuid")
        if not uuid:
            return False
        job = self.env["queue.job"].sudo().search([("uuid", "=", uuid)], limit=1)
        return bool(job.max_retries) and job.retry + 1 >= job.max_retries

    def _synco_fulfil_finish(self, state, message):
        self.write(
            {"shopify_fulfillment_state": state, "shopify_fulfillment_message": message}
        )
        if state == "sent":
            self.message_post(body=escape(message))
        return message

    def _synco_fulfil_failed(self, error):
        message = self.env._(
            "The fulfilment of %(picking)s could not be sent to Shopify: "
            "%(error)s. Fix it, then use Send to Shopify on the delivery.",
            picking=self.name,
            error=error,
        )
        self.write(
            {
                "shopify_fulfillment_state": "failed",
                "shopify_fulfillment_message": message,
            }
        )
        self.message_post(body=escape(message))
        self.sale_id.message_post(body=escape(message))
        return message
