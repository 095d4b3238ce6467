"""The Shopify bucket estimate shared through PostgreSQL by several Odoo nodes.

Two throttles over two stores with their own connections stand for two
nodes: one sees the other's in-flight request before Shopify does, and a
node holding the row makes the other wait instead of overdrawing.
"""

import threading
import time
import uuid

from odoo import sql_db
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from odoo.addons.synco_shopify.lib.shopify import CostThrottle
from odoo.addons.synco_shopify.models.shopify_throttle_state import (
    DatabaseThrottleStore,
)


class Clock:
    def __init__(self):
        self.now = 5_000.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def cost(requested, available, maximum=1000, rate=10):
    return {
        "requestedQueryCost": requested,
        "actualQueryCost": requested,
        "throttleStatus": {
            "maximumAvailable": maximum,
            "currentlyAvailable": available,
            "restoreRate": rate,
        },
    }


@tagged("post_install", "-at_install")
class TestDatabaseThrottle(TransactionCase):
    def setUp(self):
        super().setUp()
        self.key = f"node-test-{uuid.uuid4().hex[:8]}.myshopify.com"
        self.addCleanup(self._drop)

    def _drop(self):
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute("DELETE FROM shopify_throttle_state WHERE key = %s", [self.key])

    def node(self, clock):
        store = DatabaseThrottleStore(self.env.cr.dbname)
        return CostThrottle(store, clock=clock, sleep=clock.sleep)

    def test_two_nodes_share_one_bucket(self):
        clock = Clock()
        a, b = self.node(clock), self.node(clock)
        a.settle(a.acquire(self.key, "Op"), cost(60, 100))
        a.acquire(self.key, "Op")  # in flight on node A: 40 left
        b.acquire(self.key, "Op")  # node B needs 60: (60 - 40) / 10 = 2 s
        self.assertAlmostEqual(clock.now - 5_000.0, 2.0, delta=0.01)
        self.assertEqual(
            self.env["shopify.throttle.state"]
            .sudo()
            .search_count([("key", "=", self.key)]),
            0,  # committed outside this test's transaction: invisible here
        )
        with sql_db.db_connect(self.env.cr.dbname).cursor() as cr:
            cr.execute(
                "SELECT count(*) FROM shopify_throttle_state WHERE key = %s",
                [self.key],
            )
            self.assertEqual(cr.fetchone()[0], 1)

    def test_a_node_holding_the_row_makes_the_other_wait(self):
        store_a = DatabaseThrottleStore(self.env.cr.dbname)
        store_b = DatabaseThrottleStore(self.env.cr.dbname)
        with store_a.locked(self.key) as state:
            state["seen"] = ["a"]
        order = []

        def other_node():
            with store_b.locked(self.key) as state:
                order.append(("b", list(state["seen"])))
                state["seen"].append("b")

        with store_a.locked(self.key) as state:
            thread = threading.Thread(target=other_node)
            thread.start()
            time.sleep(0.3)  # node B is blocked on the row meanwhile
            order.append(("a", list(state["seen"])))
            state["seen"].append("a2")
        thread.join(10)
        self.assertEqual(order, [("a", ["a"]), ("b", ["a", "a2"])])
        with store_a.locked(self.key) as state:
            self.assertEqual(state["seen"], ["a", "a2", "b"])

    def test_shops_use_the_database_store_unless_told_otherwise(self):
        shop = self.env["shopify.shop"].create(
            {
                "name": "Nodes",
                "shop_domain": "synco-nodes.myshopify.com",
                "access_token": "shpat_x",
            }
        )
        self.assertIsInstance(shop._synco_throttle().store, DatabaseThrottleStore)
        self.env["ir.config_parameter"].sudo().set_param(
            "synco_shopify.throttle_store", "file"
        )
        self.assertNotIsInstance(shop._synco_throttle().store, DatabaseThrottleStore)
