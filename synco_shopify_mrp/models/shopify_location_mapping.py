# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo import models

from odoo.addons.synco_shopify.lib import availability


class ShopifyLocationMapping(models.Model):
    _inherit = "shopify.location.mapping"

    def _synco_free_table(self, products):
        """Kits count the whole kits their components can build, per source.

        Kits have no quants: they are swapped for their leaf components in
        the one aggregate read, then each kit's figure at each source is the
        minimum over its components of floor(free ÷ quantity per kit).  A kit
        is never built from components held at two sources; the mapping's
        rule then combines the sources and the kit's own buffer applies, as
        for any product.
        """
        company = self.company_id if len(self.company_id) == 1 else None
        recipes = self.env["mrp.bom"]._synco_kit_recipes(
            products, company_id=company.id if company else False
        )
        if not recipes:
            return super()._synco_free_table(products)
        components = {c for recipe in recipes.values() for c in recipe}
        wanted = set(products.ids)
        leaves = products.browse(sorted((wanted - recipes.keys()) | components))
        table = super()._synco_free_table(leaves)
        recipes = {kit_id: list(recipe.items()) for kit_id, recipe in recipes.items()}
        for key, column in table.items():
            kits = {
                kit_id: availability.buildable(
                    (column.get(c, 0.0), per_kit) for c, per_kit in recipe
                )
                for kit_id, recipe in recipes.items()
            }
            # components nobody asked for are not part of the answer
            table[key] = {p: q for p, q in column.items() if p in wanted}
            table[key].update(kits)
        return table

    def _synco_explain_notes(self, product, free):
        """ "Why this number?" for a kit: the component limiting it per source.

        The components' figures come from the same read as the kit's own
        (``_synco_free_by_source`` below this bridge), and the count from
        ``availability.buildable``, as the push does.
        """
        notes = super()._synco_explain_notes(product, free)
        recipe = (
            self.env["mrp.bom"]
            ._synco_kit_recipes(product, company_id=self.company_id.id)
            .get(product.id)
        )
        if recipe is None:
            return notes
        components = product.browse(sorted(recipe))
        parts = super()._synco_free_by_source(components)
        for source in self.source_ids:
            counts = [
                (
                    availability.buildable([(parts[self, source, c], per_kit)]),
                    components.browse(c),
                    parts[self, source, c],
                    per_kit,
                )
                for c, per_kit in recipe.items()
            ]
            if not counts:
                notes.append(
                    self.env._(
                        "%(location)s: the kit has no storable component: 0.",
                        location=source.display_name,
                    )
                )
                continue
            kits, component, component_free, per_kit = min(counts, key=lambda c: c[0])
            notes.append(
                self.env._(
                    "%(location)s: %(component)s limits the kit: %(free)s free "
                    "÷ %(per_kit)s per kit = %(kits)s kits.",
                    location=source.display_name,
                    component=component.display_name,
                    free=f"{component_free:g}",
                    per_kit=f"{per_kit:g}",
                    kits=kits,
                )
            )
        return notes
