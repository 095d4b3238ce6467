# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Shopify's fulfilment side of an imported order: where it ships, what shipped.

A service without records of its own: its methods take the sale order or the
delivery they work on.  Two jobs run here, through thin wrappers on Odoo's
models (a job stays on the records it is about):

* ``sale.order._job_shopify_align_location``: Shopify's fulfilment orders
  are moved to the location mapped to the warehouse Odoo routed the order
  to (:meth:`_align_location`);
* ``stock.picking._job_shopify_fulfil``: a validated delivery tells Shopify
  what it shipped, never twice (:meth:`_fulfil`).
"""

import logging

from markupsafe import escape

from odoo import api, models

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.fulfillment_split import split_by_location
from ..lib.shopify import ShopifyError, ShopifyRetryableError, ShopifyUserErrors
from ..lib.shopify.fulfillments import ACTIVE_STATUSES
from .job_errors import retryable_job_error, shopify_retry

_logger = logging.getLogger(__name__)


class ShopifyFulfillment(models.AbstractModel):
    _name = "shopify.fulfillment"
    _description = "Shopify Fulfilment"

    # -------------------------------------------------------- location story
    @api.model
    def _align_location(self, order, client=None):
        """Shopify ships from where Odoo ships; idempotent.

        Reads the order's fulfilment orders and moves each open one assigned
        elsewhere to the Shopify location mapped to the routed warehouse, so
        that Shopify's committed units and Odoo's reservation sit at the same
        place.  Shopify's refusals (an item not stocked there, a location not
        fulfilling online orders, progress reported) keep Shopify's choice and
        are recorded on the order and posted on the order and the shop.  The
        levels of the moved products are read again and pushed: the move
        changed Shopify's available figures at both locations.
        """
        order.ensure_one()
        shop = order.shopify_shop_id
        self.env["shopify.webhook.event"]._order_lock(shop, order.shopify_order_gid)
        if (
            not shop.active
            or order.state != "sale"
            or order.shopify_state != "imported"
        ):
            return self.env._("Nothing to align: the order is not open.")
        if shop.sync_frozen:
            return self.env._("The shop is frozen: nothing is written to Shopify.")
        target = self.env["shopify.order.import"]._routed_locations(order)[:1]
        if not target:
            message = self.env._(
                "Warehouse %(wh)s has no active Shopify mapping: Shopify's "
                "fulfilment location is kept.",
                wh=order.warehouse_id.name,
            )
            order.write(
                {
                    "shopify_location_state": "unmapped",
                    "shopify_location_message": message,
                }
            )
            return message
        Location = self.env["shopify.location"]
        # the first run refreshes the levels even when nothing is left to
        # move: a run that moved and then rolled back (a serialization
        # failure, a killed worker) is retried and finds the order in place
        first = order.shopify_location_state == "pending"
        with shopify_retry(30):
            client = client or shop._get_client()
            data = client.fulfillment_orders(order.shopify_order_gid)
            if data is None:
                return self.env._("Shopify does not know this order any more.")
            moved, refused, touched = [], [], set()
            services = self._service_locations(shop)
            theirs = [
                fo
                for fo in data["fulfillment_orders"]
                if fo["status"] in ACTIVE_STATUSES and fo["location_gid"] in services
            ]
            if theirs and len(theirs) == len(
                [
                    fo
                    for fo in data["fulfillment_orders"]
                    if fo["status"] in ACTIVE_STATUSES
                ]
            ):
                return self._left_to_service(order, theirs, services)
            for fo in data["fulfillment_orders"]:
                if fo["status"] not in ACTIVE_STATUSES:
                    continue
                if fo["location_gid"] in services:
                    continue  # the service's own: never moved
                if fo["location_gid"] == target.shopify_gid:
                    continue
                try:
                    client.move_fulfillment_order(fo["id"], target.shopify_gid)
                except ShopifyUserErrors as exc:
                    refused.append((fo, exc))
                    continue
                moved.append(fo)
                touched.add(fo["location_gid"])
        names = {
            loc.shopify_gid: loc.name
            for loc in Location.search(
                [
                    ("shop_id", "=", shop.id),
                    (
                        "shopify_gid",
                        "in",
                        [fo["location_gid"] for fo in data["fulfillment_orders"]],
                    ),
                ]
            )
        }
        if moved or first:
            self._refresh_levels(
                order,
                shop.mapping_ids.filtered(
                    lambda m: m.state == "active"
                ).shopify_location_id,
                moved=(
                    target,
                    Location.search(
                        [
                            ("shop_id", "=", shop.id),
                            ("shopify_gid", "in", list(touched)),
                        ]
                    ),
                )
                if moved
                else None,
            )
        if refused:
            kept = refused[0][0]["location_gid"]
            message = self.env._(
                "Shopify refused to move %(order)s to %(target)s and keeps "
                "shipping it from %(kept)s: %(errors)s. Odoo reserves in "
                "%(wh)s: move it by hand in Shopify, or ship from %(kept)s.",
                order=order.shopify_order_name,
                target=target.name,
                kept=", ".join(
                    sorted({names.get(fo["location_gid"], "?") for fo, _e in refused})
                ),
                errors="; ".join(
                    e.message for _fo, exc in refused for e in exc.user_errors
                ),
                wh=order.warehouse_id.name,
            )
            order.write(
                {
                    "shopify_location_state": "refused",
                    "shopify_location_message": message,
                    "shopify_location_id": Location.search(
                        [("shop_id", "=", shop.id), ("shopify_gid", "=", kept)],
                        limit=1,
                    ).id,
                }
            )
            order.message_post(body=escape(message))
            shop.message_post(body=escape(message))
            return message
        if moved:
            message = self.env._(
                "Shopify's fulfilment moved from %(from)s to %(target)s, where "
                "Odoo ships it.",
                target=target.name,
                **{"from": ", ".join(sorted({names.get(g, g) for g in touched}))},
            )
            state = "moved"
            order.message_post(body=escape(message))
        else:
            message = self.env._(
                "Shopify ships from %(target)s, as Odoo.", target=target.name
            )
            state = "aligned"
        order.write(
            {
                "shopify_location_state": state,
                "shopify_location_message": message,
                "shopify_location_id": target.id,
            }
        )
        return message

    @api.model
    def _service_locations(self, shop):
        """{location GID: name} of the shop's locations run by fulfilment
        services (3PL apps): their fulfilment orders are theirs alone."""
        return {
            loc.shopify_gid: loc.name
            for loc in shop.with_context(active_test=False).location_ids
            if loc.fulfillment_service
        }

    @api.model
    def _left_to_service(self, order, fulfillment_orders, services):
        """Every open fulfilment order of ``order`` is a fulfilment service's."""
        message = self.env._(
            "%(locations)s, run by a fulfilment service, ships this order: Synco "
            "never moves or fulfils it.",
            locations=", ".join(
                sorted({services[fo["location_gid"]] for fo in fulfillment_orders})
            ),
        )
        order.write(
            {
                "shopify_location_state": "fulfillment_service",
                "shopify_location_message": message,
            }
        )
        return message

    @api.model
    def _refresh_levels(self, order, locations, moved=None):
        """Read Shopify's levels of the order's products there, then push.

        :param moved: (target, sources) Shopify locations when this run moved
            the order: its units left ``committed`` at the sources for the
            target's, which we take into what we remember (``account``), so
            the read judges only the rest of a drop (see
            ``shopify.inventory.level._synco_settle``)
        """
        importer = self.env["shopify.order.import"]
        settle = {"forget": locations.ids}
        if moved:
            quantities = {}
            for line in order.order_line:
                product = line.product_id.id
                quantities[product] = quantities.get(product, 0) + line.product_uom_qty
            settle["account"] = [
                [product, location.id, sign * units, sign * units]
                for product, units in quantities.items()
                for location, sign in [(moved[0], 1)] + [(s, -1) for s in moved[1]]
            ]
        if importer._settle_levels(order, settle, locations):
            importer._order_bindings(order)._delay_push_inventory(refresh=True)

    # ------------------------------------------------------------ fulfilment
    @api.model
    def _deliveries(self, pickings):
        """Done deliveries to the customer of imported Shopify orders."""
        return pickings.filtered(
            lambda p: (
                p.state == "done"
                and p.sale_id.shopify_shop_id
                and p.sale_id.shopify_order_gid
                and p.location_dest_id.usage == "customer"
                and p.location_id.usage != "customer"
            )
        )

    @api.model
    def _after_done(self, pickings):
        """Deliveries enqueue their fulfilment; returns are left to humans."""
        deliveries = self._deliveries(pickings)
        for picking in deliveries:
            if picking.sale_id.shopify_delivery_method == "retail":
                picking.write(
                    {
                        "shopify_fulfillment_state": "nothing",
                        "shopify_fulfillment_message": self.env._(
                            "Sold at the counter: Shopify POS fulfilled it."
                        ),
                    }
                )
                continue
            picking.shopify_fulfillment_state = "pending"
            picking._delay_shopify_fulfil()
        if self.env.context.get("synco_counter_return"):
            return  # a refund with restock in Shopify: nothing to tell
        returns = pickings.filtered(
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

    @api.model
    def _tracking(self, picking):
        """{company, number, url} for Shopify, ours first, then the carrier's."""
        picking.ensure_one()
        carrier = picking["carrier_id"] if "carrier_id" in picking._fields else None
        return {
            "company": picking.shopify_tracking_company or (carrier and carrier.name),
            "number": picking.shopify_tracking_number
            or (
                picking["carrier_tracking_ref"]
                if "carrier_tracking_ref" in picking._fields
                else None
            ),
            "url": picking.shopify_tracking_url
            or (
                picking["carrier_tracking_url"]
                if "carrier_tracking_url" in picking._fields
                else None
            ),
        }

    @api.model
    def _fulfil(self, picking, client=None):
        """Tell Shopify what this delivery shipped; never twice.

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
        picking.ensure_one()
        order = picking.sale_id
        shop = order.shopify_shop_id
        if picking.state != "done" or picking.shopify_fulfillment_state in (
            "sent",
            "nothing",
        ):
            return self.env._(
                "Nothing to do: %(state)s.", state=picking.shopify_fulfillment_state
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
                return self._fulfil_failed(
                    picking,
                    self.env._(
                        "Shopify does not know order %(order)s.",
                        order=order.shopify_order_name,
                    ),
                )
            if not picking.move_ids.sale_line_id.filtered("shopify_line_item_gid"):
                return self._fulfil_finish(
                    picking,
                    "nothing",
                    self.env._("No line of this delivery comes from Shopify."),
                )
            if data["cancelled"]:
                return self._fulfil_failed(
                    picking,
                    self.env._(
                        "order %(order)s is cancelled in Shopify, but Odoo "
                        "shipped it; the goods and the refund need a human",
                        order=order.shopify_order_name,
                    ),
                )
            todo = self._fulfil_todo(picking, data)
            if not todo:
                # a previous attempt landed (its answer was lost, or the
                # server died) or another delivery's job sent these units
                return self._fulfil_finish(
                    picking,
                    "sent",
                    self.env._("Already fulfilled in Shopify: nothing sent again."),
                )
            groups = self._fulfil_groups(picking, data, todo)
            if not groups:
                return self._fulfil_finish(
                    picking,
                    "nothing",
                    self.env._(
                        "A fulfilment service ships these units in Shopify: "
                        "Synco never fulfils its orders."
                    ),
                )
            if order.shopify_delivery_method == "pick_up":
                retail = self.env["shopify.retail"]
                retail._prepare_pickup(picking, data, groups, client)
            tracking = self._tracking(picking)
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
            if self._last_attempt():
                return self._fulfil_failed(picking, str(exc))
            raise retryable_job_error(exc, 30) from exc
        except ShopifyError as exc:
            return self._fulfil_failed(picking, str(exc))
        quantity = sum(c["total_quantity"] or 0 for c in created)
        message = self.env._(
            "Fulfilled in Shopify: %(names)s, %(qty)s unit(s)%(tracking)s.",
            names=", ".join(c["name"] or c["id"] for c in created),
            qty=quantity,
            tracking=self.env._(", tracking %(number)s", number=tracking["number"])
            if tracking.get("number")
            else "",
        )
        picking.shopify_fulfillment_gid = ",".join(c["id"] for c in created if c["id"])
        self._account_fulfilled(order, data, groups)
        return self._fulfil_finish(picking, "sent", message)

    @api.model
    def _account_fulfilled(self, order, data, groups):
        """The units just fulfilled left Shopify's ``committed`` (and
        ``on_hand``, never ``available``): taken into what we remember of
        those levels, so that a sale between two reads is not hidden by a
        fulfilment of as many units (``committed`` unchanged, which would
        read as an edit and be written over).

        :param data: the order's fulfilment orders, as read before sending
        :param groups: ``_fulfil_groups``' {location GID: {fulfilment order
            GID: [(fulfilment order line GID, qty)]}}, as sent
        """
        by_item = {
            line.shopify_line_item_gid: line.product_id.id
            for line in order.order_line
            if line.shopify_line_item_gid
        }
        products = {
            fo_line["id"]: by_item.get(fo_line["line_item_gid"])
            for fo in data["fulfillment_orders"]
            for fo_line in fo["lines"]
        }
        locations = {
            loc.shopify_gid: loc.id for loc in order.shopify_shop_id.location_ids
        }
        fulfilled = {}
        for location_gid, lines_by_fo in groups.items():
            for lines in lines_by_fo.values():
                for line_gid, qty in lines:
                    key = (products.get(line_gid), locations.get(location_gid))
                    if all(key):
                        fulfilled[key] = fulfilled.get(key, 0) + qty
        if fulfilled:
            self.env["shopify.order.import"]._settle_levels(
                order,
                {
                    "account": [
                        [product, location, 0, -qty]
                        for (product, location), qty in fulfilled.items()
                    ]
                },
            )

    @api.model
    def _fulfil_todo(self, picking, data):
        """{Shopify line item GID: units Odoo delivered that Shopify has not}."""
        todo = {}
        lines = picking.move_ids.sale_line_id.filtered("shopify_line_item_gid")
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

    @api.model
    def _fulfil_groups(self, picking, data, todo):
        """{location GID: {fulfilment order GID: [(line GID, qty)]}} for ``todo``.

        Open fulfilment orders at the picking's Shopify location come first
        (``lib.fulfillment_split``); those of fulfilment services are theirs
        alone, never fulfilled here.
        """
        services = self._service_locations(picking.sale_id.shopify_shop_id)
        here = (
            self.env["shopify.order.import"]
            ._routed_locations(picking.sale_id)
            .mapped("shopify_gid")
        )
        return split_by_location(
            [
                fo
                for fo in data["fulfillment_orders"]
                if fo["status"] in ACTIVE_STATUSES
                and fo["location_gid"] not in services
            ],
            todo,
            here,
        )

    @api.model
    def _last_attempt(self):
        """Whether the running job will not be retried after this attempt."""
        uuid = self.env.context.get("job_uuid")
        if not uuid:
            return False
        job = self.env["queue.job"].sudo().search([("uuid", "=", uuid)], limit=1)
        return bool(job.max_retries) and job.retry + 1 >= job.max_retries

    @api.model
    def _fulfil_finish(self, picking, state, message):
        picking.write(
            {"shopify_fulfillment_state": state, "shopify_fulfillment_message": message}
        )
        if state == "sent":
            picking.message_post(body=escape(message))
        return message

    @api.model
    def _fulfil_failed(self, picking, error):
        message = self.env._(
            "The fulfilment of %(picking)s could not be sent to Shopify: "
            "%(error)s. Fix it, then use Send to Shopify on the delivery.",
            picking=picking.name,
            error=error,
        )
        picking.write(
            {
                "shopify_fulfillment_state": "failed",
                "shopify_fulfillment_message": message,
            }
        )
        picking.message_post(body=escape(message))
        picking.sale_id.message_post(body=escape(message))
        return message
