# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The customer and the prices of an imported Shopify order.

A service without records of its own (``shopify.order.import`` asks it
while creating a sale order): the partner found by email or created, its
delivery address, and a pricelist in the order's currency.
"""

import psycopg2

from odoo import api, models
from odoo.tools import mute_logger

from odoo.addons.queue_job.exception import RetryableJobError


class ShopifyOrderCustomer(models.AbstractModel):
    _name = "shopify.order.customer"
    _description = "Shopify Order Customer and Prices"

    @api.model
    def _pricelist(self, shop, data):
        """A pricelist in the order's currency (created when missing)."""
        Currency = self.env["res.currency"].with_context(active_test=False)
        currency = Currency.search([("name", "=", data.get("currency") or "")], limit=1)
        currency = currency or shop.company_id.currency_id
        if not currency.active:
            currency.sudo().active = True
        Pricelist = self.env["product.pricelist"]
        pricelist = Pricelist.search(
            [
                ("currency_id", "=", currency.id),
                ("company_id", "in", (False, shop.company_id.id)),
            ],
            limit=1,
        )
        if pricelist:
            return pricelist
        # Pricelists exist only with the feature on: without it, the next
        # save of the settings would archive them (and warn on opening)
        feature = self.env.ref("product.group_product_pricelist")
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                self.env.ref("base.group_user").sudo()._apply_group(feature)
                return Pricelist.sudo().create(
                    {
                        "name": f"Shopify {currency.name}",
                        "currency_id": currency.id,
                        "company_id": shop.company_id.id,
                    }
                )
        except psycopg2.errors.SerializationFailure as exc:
            # the first orders of a currency, imported side by side: the
            # other job turned the feature on; use its pricelist
            raise RetryableJobError(
                f"pricelist in {currency.name} created by a concurrent job",
                seconds=1,
                ignore_retry=True,
            ) from exc

    @api.model
    def _partner(self, shop, data):
        """(customer, shipping address): found by email, else created."""
        Partner = self.env["res.partner"]
        shipping = data.get("shipping") or {}
        country, state = shop._synco_country_state(shipping)
        address = {
            "street": shipping.get("street") or False,
            "street2": shipping.get("street2") or False,
            "city": shipping.get("city") or False,
            "zip": shipping.get("zip") or False,
            "country_id": country.id or False,
            "state_id": state.id or False,
        }
        email = data.get("email")
        partner = Partner
        if email:
            partner = Partner.search(
                [("email", "=ilike", email), ("parent_id", "=", False)], limit=1
            )
        if not partner:
            partner = Partner.create(
                {
                    "name": data.get("customer_name")
                    or shipping.get("name")
                    or email
                    or data["name"],
                    "email": email or False,
                    "phone": shipping.get("phone") or False,
                    "company_id": shop.company_id.id,
                    **address,
                }
            )
            return partner, partner
        if not address["street"] and not address["zip"]:
            return partner, partner

        def same(p):
            return all(
                (p[k].id if k.endswith("_id") else p[k]) == v
                for k, v in address.items()
            )

        if same(partner):
            return partner, partner
        for child in partner.child_ids.filtered(lambda c: c.type == "delivery"):
            if same(child):
                return partner, child
        child = Partner.create(
            {
                "parent_id": partner.id,
                "type": "delivery",
                "name": shipping.get("name") or partner.name,
                **address,
            }
        )
        return partner, child
