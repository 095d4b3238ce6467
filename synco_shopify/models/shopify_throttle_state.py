# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The Shopify API bucket, shared by every Odoo node of the database.

Shopify meters an app's calls per shop with one leaky bucket.  The client's
throttle keeps its estimate of that bucket in a store; a file per host
(``FileThrottleStore``) serves the workers of one machine, but two Odoo nodes
on one PostgreSQL would each believe they own the whole bucket.  This store
keeps the estimate in a row of ``shopify_throttle_state``, locked ``FOR
UPDATE`` in a short transaction of its own (never the job's: the next call on
another node must see it at once).
"""

import contextlib
import json

from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED

from odoo import fields, models, sql_db

from ..lib.shopify.throttle import ThrottleStore

STORE_PARAM = "synco_shopify.throttle_store"


class ShopifyThrottleState(models.Model):
    _name = "shopify.throttle.state"
    _description = "Shopify API Bucket Estimate"
    _log_access = False

    key = fields.Char(required=True, readonly=True)
    state = fields.Text(readonly=True)

    _key_uniq = models.Constraint("UNIQUE (key)", "One bucket per shop.")


class DatabaseThrottleStore(ThrottleStore):
    """:class:`ThrottleStore` over a row per shop, for every node at once."""

    def __init__(self, dbname):
        self.dbname = dbname

    @contextlib.contextmanager
    def locked(self, key):
        with sql_db.db_connect(self.dbname).cursor() as cr:
            # read committed: waiting on the row lock then reading the other
            # node's write is the point (repeatable read would fail instead)
            cr._cnx.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
            cr.execute(
                "INSERT INTO shopify_throttle_state (key, state) VALUES (%s, '{}') "
                "ON CONFLICT (key) DO NOTHING",
                [key],
            )
            cr.execute(
                "SELECT state FROM shopify_throttle_state WHERE key = %s FOR UPDATE",
                [key],
            )
            try:
                state = json.loads(cr.fetchone()[0] or "{}")
            except ValueError:
                state = {}  # unreadable: the throttle probes again
            yield state
            cr.execute(
                "UPDATE shopify_throttle_state SET state = %s WHERE key = %s",
                [json.dumps(state), key],
            )
        # the cursor commits on a normal exit and rolls back otherwise
