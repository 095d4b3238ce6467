# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from collections import defaultdict

from odoo import api, models

# mrp refuses cyclic BoMs; this only bounds the walks should one slip through
MAX_DEPTH = 20
# the BoM fields a kit's figure depends on
KIT_FIELDS = {
    "active",
    "bom_line_ids",
    "company_id",
    "product_id",
    "product_qty",
    "product_tmpl_id",
    "sequence",
    "type",
}


class MrpBom(models.Model):
    _inherit = "mrp.bom"

    @api.model_create_multi
    def create(self, vals_list):
        boms = super().create(vals_list)
        boms._synco_push_kits()
        return boms

    def write(self, vals):
        if not KIT_FIELDS & set(vals):
            return super().write(vals)
        before = self._synco_kit_products()  # a kit may stop being one
        res = super().write(vals)
        self._synco_push_kits(before)
        return res

    def unlink(self):
        before = self._synco_kit_products()
        res = super().unlink()
        self.browse()._synco_push_kits(before)
        return res

    # ------------------------------------------------------------------ kits
    def _synco_kit_products(self):
        """The variants these BoMs make, for those of them that are kits."""
        kits = self.env["product.product"]
        for bom in self.sudo().with_context(active_test=False):
            if bom.type == "phantom":
                kits |= bom.product_id or bom.product_tmpl_id.product_variant_ids
        return kits

    def _synco_push_kits(self, kits=None):
        """Push the figures of the kits these BoMs make (and of ``kits``).

        A kit's figure follows its BoM; a kit that holds this one as a
        component follows it too.
        """
        kits = (kits or self.env["product.product"]) | self._synco_kit_products()
        if not kits:
            return
        containing = self._synco_kits_containing(kits.ids)
        kits |= kits.browse(sorted({k for ids in containing.values() for k in ids}))
        self.env["shopify.product.binding"]._synco_config_changed(products=kits)

    @api.model
    def _synco_kits_containing(self, product_ids):
        """{product id: ids of the kits that hold it} for ``product_ids``.

        Nested kits included: a component of a kit that is itself a
        component of another kit is held by both.  One search of phantom BoM
        lines per nesting level, whatever the number of products.  A kit is
        listed even when its line for the product only applies to some of its
        variants: at worst a figure that did not move is pushed again.
        """
        Line = self.env["mrp.bom.line"].sudo()
        parents = defaultdict(set)  # product id → kit ids holding it directly
        todo, seen = set(product_ids), set()
        for _depth in range(MAX_DEPTH):
            if not todo:
                break
            seen |= todo
            lines = Line.search(
                [
                    ("product_id", "in", list(todo)),
                    ("bom_id.type", "=", "phantom"),
                    ("bom_id.active", "=", True),
                ]
            )
            todo = set()
            for line in lines:
                bom = line.bom_id
                kits = bom.product_id or bom.product_tmpl_id.product_variant_ids
                parents[line.product_id.id].update(kits.ids)
                todo.update(kits.ids)
            todo -= seen
        result = {}
        for product_id in product_ids:
            kits, stack = set(), list(parents.get(product_id, ()))
            while stack:
                kit = stack.pop()
                if kit not in kits:
                    kits.add(kit)
                    stack.extend(parents.get(kit, ()))
            if kits:
                result[product_id] = kits
        return result

    @api.model
    def _synco_kit_recipes(self, products, company_id=False):
        """{kit id: {component id: quantity per kit}} for the kits in ``products``.

        A kit is a product whose BoM, as mrp's ``_bom_find`` picks it, is of
        type phantom.  Its BoM is exploded like ``mrp.bom.explode`` does,
        nested kits down to their leaf components, quantities converted to
        each component's unit, but level by level for every kit at once: a
        few queries per nesting level, not per kit.  Components that are not
        storable, and lines of quantity 0, are left out as in mrp's own kit
        availability: they never limit a kit.  A kit left with no component
        gets an empty recipe (it shows 0, as in Odoo).
        """
        Bom = self.sudo()
        if company_id:
            Bom = Bom.with_context(company_id=company_id)
        recipes = {}
        # (kit id, BoM, product it makes, runs of that BoM per kit)
        todo = []
        for product, bom in Bom._synco_find_kit_boms(products).items():
            recipes[product.id] = defaultdict(float)
            todo.append((product.id, bom, product, 1.0 / bom.product_qty))
        for _depth in range(MAX_DEPTH):
            if not todo:
                break
            boms = Bom.browse(sorted({bom.id for _k, bom, _p, _r in todo}))
            boms.fetch(["bom_line_ids"])
            boms.bom_line_ids.fetch(
                [
                    "product_id",
                    "product_qty",
                    "product_uom_id",
                    "bom_product_template_attribute_value_ids",
                ]
            )
            lines = [
                (kit_id, line, runs * line.product_qty)
                for kit_id, bom, made, runs in todo
                for line in bom.bom_line_ids
                if not (
                    line.bom_product_template_attribute_value_ids
                    and line._skip_bom_line(made)
                )
            ]
            components = boms.bom_line_ids.product_id
            sub_boms = Bom._synco_find_kit_boms(components)
            components.product_tmpl_id.fetch(["is_storable", "uom_id"])
            todo = []
            for kit_id, line, qty in lines:
                component = line.product_id
                sub_bom = sub_boms.get(component)
                if sub_bom:
                    runs = line.product_uom_id._compute_quantity(
                        qty / sub_bom.product_qty, sub_bom.product_uom_id, round=False
                    )
                    todo.append((kit_id, sub_bom, component, runs))
                elif component.is_storable and not line.product_uom_id.is_zero(qty):
                    uom = line.product_uom_id
                    recipes[kit_id][component.id] += uom._compute_quantity(
                        qty, component.uom_id, round=False, raise_if_failure=False
                    )
        return recipes

    @api.model
    def _synco_find_kit_boms(self, products):
        """{product: phantom BoM} for the kits among ``products``.

        What ``_bom_find(products, bom_type="phantom")`` returns (same
        domain, same order: the first BoM by sequence, a variant's own BoM
        before its template's), with the reads done in one query per model
        instead of a thousand records at a time, so that the queries of the
        availability engine don't grow with the catalogue.
        """
        products.fetch(["product_tmpl_id"])
        templates = products.product_tmpl_id
        templates.fetch(["type"])
        # the template's own field, not the variant's related one: reading
        # that per variant took 0.6 s of 40 000 variants' availability
        services = set(templates.filtered(lambda t: t.type == "service").ids)
        if services:
            products = products.filtered(lambda p: p.product_tmpl_id.id not in services)
        if not products:
            return {}
        boms = self.search_fetch(
            self._bom_find_domain(products, bom_type="phantom"),
            ["product_id", "product_tmpl_id", "product_qty", "product_uom_id"],
            order="sequence, product_id, id",
        )
        boms.product_tmpl_id.fetch(["product_variant_ids"])
        wanted = set(products.ids)
        found = {}
        for bom in boms:
            for product in bom.product_id or bom.product_tmpl_id.product_variant_ids:
                if product.id in wanted and product not in found:
                    found[product] = bom
        return found
