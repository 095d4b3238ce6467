"""The order poll leaves an order another job holds to that job.

Found by the soak: under 30 % faults the poll read every page of orders,
met an order a webhook job had changed since the poll began, and ran again
from the start, dozens of times, holding one of the channel's two slots.
"""

from unittest.mock import patch

import psycopg2

from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.synco_shopify.models.shopify_webhook_event import (
    OrderBusy,
    ShopifyWebhookEvent,
)

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SimulatorCase

TEE = "SYN-TEE-BLK-M"
NJ = "New Jersey Warehouse"


@tagged("post_install", "-at_install")
class TestPollBusyOrder(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.shop.default_warehouse_id = self.wh_nj
        self.stock(TEE, self.wh_nj.lot_stock_id, 30)
        self.env.cr.flush()

    def imported(self):
        return set(
            self.env["sale.order"]
            .search([("shopify_shop_id", "=", self.shop.id)])
            .mapped("shopify_order_gid")
        )

    def test_busy_order_is_left_to_its_job_and_polled_again(self):
        self.check_left_and_polled_again(
            lambda gid: OrderBusy(
                f"order {gid} is being changed by another job", ignore_retry=True
            )
        )

    def test_order_failing_to_serialize_is_left_for_the_next_poll(self):
        # Odoo's own reservation meets a quant changed since the poll began
        self.check_left_and_polled_again(
            lambda gid: psycopg2.errors.SerializationFailure("could not serialize")
        )

    def check_left_and_polled_again(self, error):
        busy = self.sim.create_order(DEMO_DOMAIN, [(TEE, 1)], location=NJ)
        free = self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        original = ShopifyWebhookEvent._order_lock

        def order_lock(events, shop, gid):
            if gid == busy.id:
                raise error(gid)
            return original(events, shop, gid)

        with (
            patch.object(ShopifyWebhookEvent, "_order_lock", order_lock),
            patch.object(
                type(self.env["shopify.shop"]),
                "_synco_release_unexplained_holds",
                side_effect=AssertionError("a hold released by a partial poll"),
            ),
            trap_jobs() as trap,
        ):
            self.shop._job_poll_orders()  # no RetryableJobError: the poll went on
        self.assertEqual(self.imported(), {free.id})
        # no poll enqueued beside this one (both would write the watermark)
        polls = [j for j in trap.enqueued_jobs if j.method_name == "_job_poll_orders"]
        self.assertEqual(polls, [])
        self.assertFalse(level.held_qty)
        # the job is done with it: the next poll imports it
        self.shop._job_poll_orders()
        self.assertEqual(self.imported(), {busy.id, free.id})

    def test_the_poll_leaves_the_levels_to_a_push(self):
        """A poll imports many orders in one transaction: the levels each
        import settles were locked until its end (30 s under faults in the
        soak), and every push of those products, decreases first too, ran
        again every 2 s in the channel's two slots, the webhooks waiting
        behind.  A push of their own settles them once the poll commits."""
        self.bindings[TEE]._job_push_inventory()
        level = self.bindings[TEE].level_ids.filtered(
            lambda lvl: lvl.shopify_location_id == self.loc_nj
        )
        self.assertTrue(level.shopify_known)
        self.sim.create_order(DEMO_DOMAIN, [(TEE, 2)], location=NJ)
        with trap_jobs() as trap:
            self.shop._job_poll_orders()
            self.env.cr.flush()
        self.assertEqual(len(self.imported()), 1)
        self.assertTrue(level.shopify_known)  # not settled in the poll
        settles = [
            job
            for job in trap.enqueued_jobs
            if job.method_name == "_job_push_inventory" and job.kwargs.get("settle")
        ]
        self.assertEqual(len(settles), 1)
        self.assertTrue(settles[0].kwargs["settle"]["forget"])
        trap.perform_enqueued_jobs()
        self.assertEqual(self.shopify(TEE, NJ), 28)
        self.assertEqual(level.held_qty, 0)
