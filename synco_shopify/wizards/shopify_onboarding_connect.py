# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The setup assistant's first step for the OAuth ways to connect (issue 21).

Mixed into ``shopify.onboarding``: *My own store* (a Dev Dashboard app's
client ID and secret: a token by the client-credentials grant at once) and
*Install link* (a partner's app: the shop is saved, then Shopify's authorize
page opens).  The legacy admin token stays in ``shopify_onboarding.py``.
"""

from odoo import fields, models
from odoo.exceptions import UserError

from ..lib.shopify import ShopifyError, oauth
from ..lib.shopify.client.oauth import request_token
from ..models.shopify_shop import DEFAULT_API_VERSION


class ShopifyOnboardingConnect(models.AbstractModel):
    _name = "shopify.onboarding.connect"
    _description = "Shopify Onboarding: Connect With an App"

    connect_method = fields.Selection(
        [
            (
                "client_credentials",
                "My own store: a Dev Dashboard app's client ID and secret",
            ),
            ("install_link", "Install link: a partner's app the merchant approves"),
            ("admin_token", "Existing admin token of a legacy custom app (shpat_…)"),
        ],
        string="Connect With",
        default="client_credentials",
        required=True,
    )
    client_id = fields.Char(string="Client ID")
    client_secret = fields.Char(
        groups="synco_shopify.group_shopify_manager",
        help="Kept on the shop only, cleared here once connected.",
    )

    def _connect_app(self, domain):
        """A Dev Dashboard app: a token by the client-credentials grant now,
        or the install link for a partner's app."""
        client_id = self.client_id or self.shop_id.client_id
        secret = self.client_secret or self.shop_id.sudo().client_secret
        if not client_id or not secret:
            raise UserError(
                self.env._(
                    "Copy the client ID and secret from the app's settings in "
                    "Shopify's Dev Dashboard."
                )
            )
        vals = {
            "connect_method": self.connect_method,
            "client_id": client_id,
            "client_secret": secret,
        }
        if self.connect_method == "install_link":
            shop = self._save_shop(domain, vals)
            self.write({"shop_id": shop.id, "client_secret": False})
            return shop.action_install_link()
        try:
            token = request_token(
                domain,
                oauth.client_credentials_body(client_id, secret),
                base_url=self.api_base_url or None,
            )
        except ShopifyError as exc:
            raise UserError(
                self.env._(
                    "Shopify refused the client ID and secret for %(domain)s: "
                    "check them in the Dev Dashboard and that the app is "
                    "installed on the store. (%(error)s)",
                    domain=domain,
                    error=exc.message,
                )
            ) from exc
        known = self.shop_id or self.env["shopify.shop"].with_context(
            active_test=False
        ).search([("shop_domain", "=", domain)], limit=1)
        action = self._connect_with(domain, token.access_token, vals)
        # the token just obtained serves the shop: no second fetch
        self.env["shopify.shop.token"]._synco_store_token(
            self.shop_id, token, new_shop=not known
        )
        return action

    def _save_shop(self, domain, vals):
        vals = dict(
            vals,
            name=self.name or domain,
            shop_domain=domain,
            api_version=self.api_version or DEFAULT_API_VERSION,
            api_base_url=self.api_base_url or False,
        )
        Shop = self.env["shopify.shop"].with_context(active_test=False)
        shop = self.shop_id or Shop.search([("shop_domain", "=", domain)], limit=1)
        if shop:
            shop.write(vals)
        else:
            shop = Shop.create(vals)
        return shop
