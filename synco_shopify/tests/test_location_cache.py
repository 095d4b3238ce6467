# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Creating a location clears the caches only when a mapping counts it (issue 23).

``registry.clear_cache()`` drops every ormcache of the registry, signalled
to every worker.  A location created outside every mapped warehouse leaves
them alone; one under a mapped source clears them and is counted at once.
"""

import logging
from unittest.mock import patch

from odoo.tests import tagged

from .common import SyncoCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestLocationCache(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mapping = cls._mapping(cls.loc_nj, [cls.wh_nj.lot_stock_id])
        cls.elsewhere = cls.env["stock.warehouse"].create(
            {"name": "Unmapped", "code": "SUM"}
        )

    def create_locations(self, parent, count, prefix):
        """Create ``count`` bins one by one, each followed by a stock change
        reading the indexes as a commit would: (clears, queries)."""
        Location = self.env["stock.location"]
        Mapping = self.env["shopify.location.mapping"]
        registry = type(self.env.registry)
        clear = registry.clear_cache
        calls = []

        def counting(registry_self, *args):
            calls.append(args)
            return clear(registry_self, *args)

        with patch.object(registry, "clear_cache", counting):
            before = self.env.cr.sql_log_count
            for i in range(count):
                Location.create(
                    {
                        "name": f"{prefix}{i}",
                        "location_id": parent.id,
                        "usage": "internal",
                    }
                )
                Mapping._get_location_index()
                Mapping._get_reservation_index()
            queries = self.env.cr.sql_log_count - before
        return len(calls), queries

    def test_unmapped_locations_keep_the_caches(self):
        Mapping = self.env["shopify.location.mapping"]
        Mapping._get_location_index()
        Mapping._get_reservation_index()
        clears, queries = self.create_locations(
            self.elsewhere.lot_stock_id, 100, "Far-"
        )
        self.assertEqual(clears, 0)
        # what each clear cost: the same 100 creations, clearing every time
        # (the behaviour before issue 23)
        with patch.object(
            type(self.env["stock.location"]),
            "_synco_under_a_source",
            lambda self: True,
        ):
            old_clears, old_queries = self.create_locations(
                self.elsewhere.lot_stock_id, 100, "Old-"
            )
        self.assertEqual(old_clears, 100)
        _logger.info(
            f"100 locations outside mapped warehouses: {old_clears} cache clears, "
            f"{old_queries} queries before; {clears} clears, {queries} queries now"
        )
        self.assertLess(queries, old_queries)

    def test_a_location_under_a_source_is_counted_at_once(self):
        index = self.env["shopify.location.mapping"]._get_location_index()
        clears, _queries = self.create_locations(self.wh_nj.lot_stock_id, 1, "Bin-Z")
        self.assertEqual(clears, 1)
        new = self.env["stock.location"].search([("name", "=", "Bin-Z0")])
        index = self.env["shopify.location.mapping"]._get_location_index()
        self.assertEqual(index[new.id], frozenset({self.shop.id}))

    def test_a_location_moved_under_a_source_is_counted(self):
        far = self.env["stock.location"].create(
            {"name": "Far", "location_id": self.elsewhere.lot_stock_id.id}
        )
        Mapping = self.env["shopify.location.mapping"]
        self.assertNotIn(far.id, Mapping._get_location_index())
        far.location_id = self.wh_nj.lot_stock_id
        self.assertIn(far.id, Mapping._get_location_index())
        far.location_id = self.elsewhere.lot_stock_id
        self.assertNotIn(far.id, Mapping._get_location_index())
