# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""Withheld stock shown in Shopify (issue 22), opt-in per mapping.

A mapping keeps units out of Shopify's ``available``: its excluded zones
(quarantine, defective) and its buffer.  With *Show Withheld Stock in
Shopify*, Synco also sets Shopify's unavailable states of each level after
writing ``available``: the zones' units as ``quality_control`` (or
``damaged``, as chosen on the zone), the buffer's as ``safety_stock``.  They
stay in Shopify's ``on_hand`` and its admin shows them as "Unavailable", the
same story "why this number?" tells.  Switched off, the states Synco set go
back to 0.

The levels remember what Synco set (``shopify_quality_control``...): it is
the ``changeFromQuantity`` of the next write, so a change made in Shopify is
re-read and written over (Odoo owns quantities), like ``available``.
"""

import math
from collections import defaultdict

from odoo import api, models

from ..lib import availability
from ..lib.shopify import StateTarget, to_gid

FIELDS = {
    "quality_control": "shopify_quality_control",
    "damaged": "shopify_damaged",
    "safety_stock": "shopify_safety_stock",
}


class ShopifyWithheldStock(models.AbstractModel):
    _name = "shopify.withheld.stock"
    _description = "Shopify Withheld Stock (unavailable states)"

    @api.model
    def _synco_wanted(self, mappings, products):
        """{(mapping id, product id): {state: units}} for mappings showing
        withheld stock; the others want every state at 0."""
        result = defaultdict(lambda: dict.fromkeys(FIELDS, 0))
        showing = mappings.filtered("show_withheld_stock")
        if not showing or not products:
            return result
        Location = self.env["stock.location"].sudo().with_context(active_test=False)
        keys = []  # column → (mapping id, state)
        location_keys = []
        for mapping in showing:
            for zone in mapping.excluded_location_ids:
                column = len(keys)
                keys.append((mapping.id, zone.shopify_withheld_state))
                subtree = Location.search([("id", "child_of", zone.id)]).ids
                location_keys += [(loc, column) for loc in subtree]
        for column, product_id, quantity, _reserved in showing._synco_sum_quants(
            products, location_keys
        ):
            mapping_id, state = keys[column]
            units = max(0, math.floor(quantity + 1e-9))
            result[mapping_id, product_id][state] += units
        table = showing._synco_free_table(products)
        buffers = self.env["shopify.buffer.rule"]._get_buffers(showing, products)
        for mapping in showing:
            for product_id in products.ids:
                percent, units = buffers[mapping.id, product_id]
                if not (percent or units):
                    continue
                free = [
                    table[mapping.id, sid].get(product_id, 0.0)
                    for sid in mapping.source_ids.ids
                ]
                quantity = availability.aggregate(free, mapping.aggregation)
                _near, withheld = availability.buffer_usage(quantity, percent, units)
                result[mapping.id, product_id]["safety_stock"] = withheld
        return result

    @api.model
    def _synco_sync(self, shop, client, levels):
        """Bring the unavailable states of ``levels`` to what their mapping
        withholds (0 where no mapping shows withheld stock).

        :param levels: ``shopify.inventory.level`` records, locked by the
            caller (a push or a run)
        :return: the number of state changes written
        """
        mappings = {
            mapping.shopify_location_id: mapping
            for mapping in shop._synco_pushed_mappings()
        }
        levels = levels.filtered(
            lambda lvl: mappings.get(lvl.shopify_location_id)
            and (
                mappings[lvl.shopify_location_id].show_withheld_stock
                or any(lvl[field] for field in FIELDS.values())
            )
        )
        if not levels:
            return 0
        wanted = self._synco_wanted(
            self.env["shopify.location.mapping"].union(*mappings.values()),
            levels.product_id,
        )
        targets, owners = [], []
        for level in levels:
            mapping = mappings[level.shopify_location_id]
            states = wanted[mapping.id, level.product_id.id]
            for state, field in FIELDS.items():
                if states[state] == level[field]:
                    continue
                targets.append(
                    StateTarget(
                        to_gid(
                            "InventoryItem", level.binding_id.shopify_inventory_item_gid
                        ),
                        to_gid("Location", level.shopify_location_id.shopify_gid),
                        state,
                        states[state],
                        level[field],
                        self._synco_ledger_uri(mapping, state),
                    )
                )
                owners.append((level, field))
        if not targets:
            return 0
        outcomes = client.set_states(
            targets,
            reason="other",
            reference_uri=shop._reference_uri(levels.binding_id),
        )
        written = 0
        for (level, field), outcome in zip(owners, outcomes, strict=True):
            if outcome.ok:
                level[field] = outcome.quantity
                written += 1
            else:
                level.last_message = self.env._(
                    "Unavailable state %(state)s not set: %(error)s",
                    state=outcome.target.name,
                    error=outcome.message,
                )
        return written

    @api.model
    def _synco_sync_bindings(self, shop, client, mappings, binding_ids):
        """The states of these bindings' levels where one of ``mappings``
        shows withheld stock, or Synco set some (a reconciliation chunk)."""
        locations = mappings.filtered("show_withheld_stock").shopify_location_id
        Level = self.env["shopify.inventory.level"].sudo()
        domain = [("binding_id", "in", list(binding_ids))]
        levels = Level.search(domain + [("shopify_location_id", "in", locations.ids)])
        levels |= Level.search(
            domain
            + [
                "|",
                "|",
                ("shopify_quality_control", "!=", 0),
                ("shopify_damaged", "!=", 0),
                ("shopify_safety_stock", "!=", 0),
            ]
        )
        return self._synco_sync(shop, client, levels) if levels else 0

    def _synco_ledger_uri(self, mapping, state):
        """The ledger document of a state's change: the Odoo record that
        withholds the units (never a ``gid://shopify/`` address)."""
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url")
        if state == "safety_stock":
            return f"{base}/odoo/shopify.location.mapping/{mapping.id}#buffer"
        return f"{base}/odoo/shopify.location.mapping/{mapping.id}#{state}"
