# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.synco_shopify.tests.common import SyncoCase


class KitCase(SyncoCase):
    """A kit of 2 × A + 1 × B, and the helpers to build more."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.part_a = cls._product("SYN-PART-A")
        cls.part_b = cls._product("SYN-PART-B")
        cls.kit = cls._kit("SYN-KIT", [(cls.part_a, 2), (cls.part_b, 1)])

    @classmethod
    def _kit(cls, code, lines, product_qty=1.0):
        """A consumable product sold as a kit of ``lines`` [(component, qty)
        or (component, qty, uom)]."""
        kit = cls.env["product.product"].create(
            {"name": code, "default_code": code, "type": "consu"}
        )
        cls.env["mrp.bom"].create(
            {
                "product_tmpl_id": kit.product_tmpl_id.id,
                "type": "phantom",
                "product_qty": product_qty,
                "bom_line_ids": [
                    (
                        0,
                        0,
                        {
                            "product_id": line[0].id,
                            "product_qty": line[1],
                            **({"product_uom_id": line[2].id} if line[2:] else {}),
                        },
                    )
                    for line in lines
                ],
            }
        )
        return kit


@tagged("post_install", "-at_install")
class TestKitAvailability(KitCase):
    def test_kit_shows_the_whole_kits_its_components_build(self):
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.part_a, self.bin_a1, 9)
        self._stock(self.part_b, self.bin_a2, 3)
        self.assertEqual(self._available(mapping, self.kit), 3)  # min(4, 3)
        self._stock(self.part_a, self.bin_a1, -4)  # A = 5
        self.assertEqual(self._available(mapping, self.kit), 2)  # min(2, 3)
        # the components keep their own figures, in the same call
        result = mapping._compute_shopify_available(
            self.kit | self.part_a | self.part_b
        )[mapping]
        self.assertEqual(result, {self.kit.id: 2, self.part_a.id: 5, self.part_b.id: 3})

    def test_reserved_and_excluded_components_do_not_count(self):
        mapping = self._mapping(
            self.loc_nj, self.wh_nj.lot_stock_id, excluded=self.quarantine
        )
        self._stock(self.part_a, self.bin_a1, 10)
        self._stock(self.part_a, self.quarantine, 50)
        self._stock(self.part_b, self.bin_a1, 10)
        self.assertEqual(self._available(mapping, self.kit), 5)
        customers = self.env.ref("stock.stock_location_customers")
        self._move(self.part_a, self.bin_a1, customers, 4, validate=False)
        self.assertEqual(self._available(mapping, self.kit), 3)  # 6 free A

    def test_kits_are_built_per_source_then_summed(self):
        """A pool: each warehouse builds its own kits; components held at
        two sources never make one kit."""
        mapping = self._mapping(
            self.loc_pool, self.wh_east.lot_stock_id | self.wh_west.lot_stock_id
        )
        self._stock(self.part_a, self.wh_east.lot_stock_id, 5)
        self._stock(self.part_b, self.wh_east.lot_stock_id, 1)
        self._stock(self.part_a, self.wh_west.lot_stock_id, 3)
        self._stock(self.part_b, self.wh_west.lot_stock_id, 5)
        # East builds 1, West 1; pooling the parts (8 A, 6 B) would claim 4
        self.assertEqual(self._available(mapping, self.kit), 2)

    def test_drop_ship_kits_take_the_best_single_supplier(self):
        mapping = self._mapping(
            self.loc_drop, self.supplier_a | self.supplier_b, aggregation="max"
        )
        self._stock(self.part_a, self.supplier_a, 10)
        self._stock(self.part_b, self.supplier_a, 2)
        self._stock(self.part_a, self.supplier_b, 6)
        self._stock(self.part_b, self.supplier_b, 5)
        self.assertEqual(self._available(mapping, self.kit), 3)  # max(2, 3)

    def test_buffer_applies_to_the_kit_by_its_own_rules(self):
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.part_a, self.bin_a1, 40)
        self._stock(self.part_b, self.bin_a1, 20)
        Rule = self.env["shopify.buffer.rule"]
        # a component's buffer is the component's business, not the kit's
        Rule.create(
            {"shop_id": self.shop.id, "product_id": self.part_b.id, "buffer_units": 15}
        )
        self.assertEqual(self._available(mapping, self.part_b), 5)
        self.assertEqual(self._available(mapping, self.kit), 20)
        Rule.create(
            {
                "shop_id": self.shop.id,
                "product_id": self.kit.id,
                "buffer_percent": 10,
                "buffer_units": 1,
            }
        )
        self.assertEqual(self._available(mapping, self.kit), 17)  # 20 − 2 − 1

    def test_nested_kits_and_units_of_measure(self):
        """A gift box: one kit above, three C and one dozen D."""
        part_c = self._product("SYN-PART-C")
        part_d = self._product("SYN-PART-D")
        dozen = self.env.ref("uom.product_uom_dozen")
        box = self._kit("SYN-BOX", [(self.kit, 1), (part_c, 3), (part_d, 1, dozen)])
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.part_a, self.bin_a1, 9)
        self._stock(self.part_b, self.bin_a1, 3)
        self._stock(part_c, self.bin_a1, 12)
        self._stock(part_d, self.bin_a1, 50)
        self.assertEqual(self._available(mapping, box), 3)  # A 4, B 3, C 4, D 4
        self._stock(part_d, self.bin_a1, -15)
        self.assertEqual(self._available(mapping, box), 2)  # 35 D: 2 dozen

    def test_a_bom_making_two_kits(self):
        pair = self._kit("SYN-PAIR", [(self.part_a, 3)], product_qty=2)
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.part_a, self.bin_a1, 7)
        self.assertEqual(self._available(mapping, pair), 4)  # 1.5 A per kit

    def test_consumable_components_never_limit_a_kit(self):
        bag = self.env["product.product"].create(
            {"name": "SYN-BAG", "default_code": "SYN-BAG", "type": "consu"}
        )
        bagged = self._kit("SYN-BAGGED", [(self.part_a, 1), (bag, 1)])
        only_bags = self._kit("SYN-BAGS", [(bag, 2)])
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.part_a, self.bin_a1, 4)
        self.assertEqual(self._available(mapping, bagged), 4)
        self.assertEqual(self._available(mapping, only_bags), 0)  # as in Odoo

    def test_kit_figure_matches_odoo_free_qty_at_one_source(self):
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        self._stock(self.part_a, self.bin_a1, 13)
        self._stock(self.part_b, self.bin_a2, 11)
        free_qty = self.kit.with_context(location=self.wh_nj.lot_stock_id.id).free_qty
        self.assertEqual(free_qty, 6)
        self.assertEqual(self._available(mapping, self.kit), 6)

    def test_kit_boms_are_the_ones_bom_find_picks(self):
        Bom = self.env["mrp.bom"]
        self.kit.bom_ids.sequence = 5
        second = Bom.create(
            {
                "product_tmpl_id": self.kit.product_tmpl_id.id,
                "type": "phantom",
                "sequence": 1,  # comes first
                "bom_line_ids": [(0, 0, {"product_id": self.part_b.id})],
            }
        )
        normal = self._product("SYN-MADE")
        Bom.create(
            {
                "product_tmpl_id": normal.product_tmpl_id.id,
                "type": "normal",
                "bom_line_ids": [(0, 0, {"product_id": self.part_a.id})],
            }
        )
        products = self.kit | normal | self.part_a
        expected = {
            p: bom for p, bom in Bom._bom_find(products, bom_type="phantom").items()
        }
        self.assertEqual(Bom._synco_find_kit_boms(products), expected)
        self.assertEqual(expected, {self.kit: second})

    def test_queries_do_not_grow_with_kits(self):
        """Kits cost a few queries per nesting level, not per kit."""
        mapping = self._mapping(self.loc_nj, self.wh_nj.lot_stock_id)
        Product = self.env["product.product"]
        parts, plain = (
            Product.create(
                [
                    {"name": f"{kind} {i}", "default_code": f"{kind}-{i}"}
                    | {"is_storable": True}
                    for i in range(40)
                ]
            )
            for kind in ("PART", "PLAIN")
        )
        for product in parts | plain:
            self._stock(product, self.bin_a1, 6)
        kits = Product.browse()
        for i in range(24):
            kits |= self._kit(f"KIT-{i}", [(parts[i], 2), (parts[i + 10], 3)])
        # a kit of kits in each batch
        nested = self._kit("NESTED", [(kits[0], 1), (kits[1], 1)])
        counts = []
        # the components are outside both batches: they are read in both
        for batch in (plain[:8] | kits[:2] | nested, plain | kits | nested):
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            result = mapping._compute_shopify_available(batch)[mapping]
            counts.append(self.cr.sql_log_count - before)
            self.assertEqual({result[p.id] for p in batch & plain}, {6})
            self.assertEqual({result[k.id] for k in batch & kits}, {2})
            self.assertEqual(result[nested.id], 2)
        self.assertEqual(counts[0], counts[1])


@tagged("post_install", "-at_install")
class TestKitPushes(KitCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.nj = cls._mapping(
            cls.loc_nj, cls.wh_nj.lot_stock_id, excluded=cls.quarantine
        )
        cls.part_c = cls._product("SYN-PART-C")
        cls.box = cls._kit("SYN-BOX", [(cls.kit, 1), (cls.part_c, 2)])
        cls.kit_binding = cls._binding(cls.kit, 21)
        cls.box_binding = cls._binding(cls.box, 22)
        cls.b_binding = cls._binding(cls.part_b, 23)
        cls.env.cr.flush()  # the fixture's own changes are not under test

    @classmethod
    def _binding(cls, product, number):
        return cls.env["shopify.product.binding"].create(
            {
                "shop_id": cls.shop.id,
                "product_id": product.id,
                "sku": product.default_code,
                "shopify_inventory_item_gid": f"gid://shopify/InventoryItem/{number}",
            }
        )

    def _pushed(self, func):
        """The bindings whose push ``func`` enqueues, at commit."""
        with trap_jobs() as trap:
            func()
            self.env.cr.flush()  # runs the precommit hooks
        self.assertEqual(
            {job.method_name for job in trap.enqueued_jobs} - {"_job_push_inventory"},
            set(),
        )
        bindings = self.env["shopify.product.binding"]
        for job in trap.enqueued_jobs:
            bindings |= job.recordset
        return bindings

    def test_component_stock_change_pushes_its_kits(self):
        pushed = self._pushed(lambda: self._stock(self.part_a, self.bin_a1, 5))
        # A is unbound; the kit and the box holding the kit are bound
        self.assertEqual(pushed, self.kit_binding | self.box_binding)

    def test_stock_changes_and_the_figures_they_move(self):
        """What a reconciliation computes again after importing orders."""
        Binding = self.env["shopify.product.binding"]
        before = Binding._synco_stock_changes()
        self._stock(self.part_a, self.bin_a1, 5)
        changed = Binding._synco_stock_changes() - before
        self.assertEqual({pid for pid, _loc in changed}, {self.part_a.id})
        self.assertEqual(
            Binding._synco_products_moved({self.part_a.id}),
            {self.part_a.id, self.kit.id, self.box.id},
        )
        self.assertEqual(
            Binding._synco_products_moved({self.part_c.id}),
            {self.part_c.id, self.box.id},
        )
        self.assertEqual(Binding._synco_products_moved(set()), set())

    def test_component_of_the_outer_kit_only(self):
        pushed = self._pushed(lambda: self._stock(self.part_c, self.bin_a1, 5))
        self.assertEqual(pushed, self.box_binding)

    def test_bound_component_pushes_itself_and_its_kits(self):
        pushed = self._pushed(lambda: self._stock(self.part_b, self.bin_a2, 5))
        self.assertEqual(pushed, self.b_binding | self.kit_binding | self.box_binding)

    def test_component_moved_where_no_mapping_counts_pushes_nothing(self):
        pushed = self._pushed(
            lambda: self._stock(self.part_a, self.wh_tx.lot_stock_id, 5)
        )
        self.assertFalse(pushed)

    def test_bom_change_pushes_the_kit(self):
        line = self.kit.bom_ids.bom_line_ids.filtered(
            lambda line: line.product_id == self.part_a
        )
        pushed = self._pushed(lambda: line.write({"product_qty": 3}))
        self.assertEqual(pushed, self.kit_binding | self.box_binding)
        pushed = self._pushed(lambda: self.box.bom_ids.write({"product_qty": 2}))
        self.assertEqual(pushed, self.box_binding)

    def test_a_product_becoming_a_kit_is_pushed(self):
        bundle = self.env["product.product"].create(
            {"name": "SYN-BUNDLE", "default_code": "SYN-BUNDLE", "type": "consu"}
        )
        binding = self._binding(bundle, 24)
        self.env.cr.flush()

        def make_kit():
            self.env["mrp.bom"].create(
                {
                    "product_tmpl_id": bundle.product_tmpl_id.id,
                    "type": "phantom",
                    "bom_line_ids": [(0, 0, {"product_id": self.part_a.id})],
                }
            )

        self.assertEqual(self._pushed(make_kit), binding)
        self.assertEqual(
            self._pushed(lambda: bundle.bom_ids.write({"type": "normal"})), binding
        )

    def test_unrelated_bom_write_pushes_nothing(self):
        pushed = self._pushed(lambda: self.kit.bom_ids.write({"code": "REF-1"}))
        self.assertFalse(pushed)
