# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How a shop is connected: client credentials, install link or admin token.

Mixed into ``shopify.shop`` (``shopify_shop.py`` holds its fields).  The
token of the two OAuth ways comes from a
:class:`~..lib.shopify.client.oauth.TokenProvider` over the shop's
``shopify.shop.token`` row; the legacy admin token is sent as it is.  A
refused secret or a revoked app opens one alert and stops every write: the
jobs wait without spending retries (``job_errors``) until the shop is
reconnected, which pushes what changed meanwhile and polls the orders.
"""

import contextlib
import logging
import time

from odoo import fields, models
from odoo.exceptions import UserError

from ..lib.shopify import CostThrottle, ShopifyClient, oauth
from ..lib.shopify.client.oauth import TokenProvider, request_token
from ..lib.shopify.errors import ShopifyError
from .shopify_shop_token import DatabaseTokenStore, credentials_refused_alert
from .shopify_throttle_state import STORE_PARAM, DatabaseThrottleStore

_logger = logging.getLogger(__name__)

CALLBACK_PATH = "/synco_shopify/oauth/callback"
# what the connector's GraphQL documents read and write (see CONFIGURE.md)
SCOPES = (
    "read_locations",
    "read_products",
    "read_inventory",
    "write_inventory",
    "read_orders",
    "read_merchant_managed_fulfillment_orders",
    "write_merchant_managed_fulfillment_orders",
    # stock in transit shown as incoming (issue 22, shopify_transfer.py)
    "write_inventory_transfers",
    "read_inventory_shipments",
    "write_inventory_shipments",
    "write_inventory_shipments_received_items",
)
# renew a token this long before it expires (a tenth of a short lifetime)
RENEW_MARGIN = 300


class ShopifyConnection(models.AbstractModel):
    _name = "shopify.connection"
    _description = "Shopify Connection (shop mixin)"

    def _compute_connection(self):
        rows = (
            self.env["shopify.shop.token"].sudo().search([("shop_id", "in", self.ids)])
        )
        by_shop = {row.shop_id.id: row for row in rows}
        for shop in self:
            row = by_shop.get(shop.id)
            shop.token_fetch_count = row.fetches if row else 0
            shop.token_expires_at = row.expires_at if row else False
            if shop.app_uninstalled:
                shop.connection_state = "uninstalled"
            elif row and row.refused:
                shop.connection_state = "refused"
            else:
                shop.connection_state = "connected"

    # ------------------------------------------------------------ the token
    def _synco_token_source(self):
        """The ``access_token`` argument of the shop's client."""
        self.ensure_one()
        shop = self.sudo()
        if shop.connect_method == "admin_token":
            if not shop.access_token:
                raise UserError(
                    self.env._(
                        "Shop %(shop)s has no access token: paste the Admin API "
                        "token of its custom app, or connect it another way.",
                        shop=shop.name,
                    )
                )
            return shop.access_token
        if not shop.client_id or not shop.client_secret:
            raise UserError(
                self.env._(
                    "Shop %(shop)s has no client ID and secret: copy them from "
                    "the app's settings in Shopify's Dev Dashboard.",
                    shop=shop.name,
                )
            )
        dbname = self.env.cr.dbname
        return TokenProvider(
            shop.shop_domain,
            shop.connect_method,
            shop.client_id,
            shop.client_secret,
            DatabaseTokenStore(dbname, shop.id, self.env.cr),
            base_url=shop.api_base_url or None,
            margin=RENEW_MARGIN,
            on_refused=credentials_refused_alert(self.env, shop.id),
        )

    def _synco_webhook_key(self):
        """Dev Dashboard apps sign webhooks with their client secret."""
        shop = self.sudo()
        if shop.connect_method != "admin_token" and shop.client_secret:
            return shop.client_secret
        return shop.webhook_secret

    def _synco_credentials_alert(self, message):
        self.ensure_one()
        self.env["shopify.alert"]._synco_report(
            self,
            "credentials_refused",
            {
                (None, None, "credentials"): {
                    "message": self.env._(
                        "Shopify refused the app's credentials: reconnect. "
                        "Nothing is written to Shopify meanwhile; every "
                        "pending push and order waits. (%(error)s)",
                        error=message,
                    )
                }
            },
        )

    # ------------------------------------------------------------ uninstall
    def _synco_app_uninstalled(self):
        """``app/uninstalled``: the tokens are gone; freeze, say so, lose nothing."""
        self.ensure_one()
        self.env["shopify.shop.token"]._synco_reset(
            self, refused="the app was uninstalled"
        )
        self.write({"app_uninstalled": True, "sync_frozen": True})
        self.env["shopify.alert"]._synco_report(
            self,
            "app_uninstalled",
            {
                (None, None, "uninstalled"): {
                    "message": self.env._(
                        "The Synco app was uninstalled from %(domain)s: the "
                        "shop is frozen. Install the app again and press "
                        "Reconnect: what changed meanwhile is pushed then.",
                        domain=self.shop_domain,
                    )
                }
            },
        )
        return "processed", self.env._("App uninstalled: shop frozen.")

    # ------------------------------------------------------------ reconnect
    def action_reconnect(self):
        """New credentials or the app installed again: test, resume, catch up."""
        self.ensure_one()
        self.env["shopify.shop.token"]._synco_reset(
            self, keep_refresh=self.connect_method == "install_link"
        )
        with self._user_api_errors():
            info = self._get_client().shop_info()
        was_uninstalled = self.app_uninstalled
        if was_uninstalled:
            self.write({"app_uninstalled": False, "sync_frozen": False})
            self.action_register_webhooks()
        alerts = (
            self.env["shopify.alert"]
            .sudo()
            .search(
                [
                    ("shop_id", "=", self.id),
                    ("kind", "in", ("credentials_refused", "app_uninstalled")),
                    ("state", "!=", "resolved"),
                ]
            )
        )
        alerts.write({"state": "resolved", "date_resolved": fields.Datetime.now()})
        count = 0
        # the jobs that waited for the credentials run now
        self._synco_run_waiting_jobs()
        if not self.sync_frozen:
            # these read Shopify first and write what changed meanwhile
            count = self.binding_ids.filtered("active")._delay_push_inventory(
                refresh=True
            )
        if self.policy_reservation == "shopify_triggers_odoo":
            self._delay_poll_orders()
        return self._notify(
            self.env._("Reconnected to %(name)s", name=info["name"]),
            self.env._("%(count)s products will be pushed again.", count=count),
        )

    # --------------------------------------------------------- install link
    def action_install_link(self):
        """Open Shopify's authorize page for the app (authorization code)."""
        self.ensure_one()
        shop = self.sudo()
        if not shop.client_id or not shop.client_secret:
            raise UserError(self.env._("Enter the app's client ID and secret first."))
        state = oauth.make_state(self._synco_state_secret(), shop.shop_domain)
        url = oauth.install_url(
            shop.shop_domain,
            shop.client_id,
            SCOPES,
            self._synco_base_url() + CALLBACK_PATH,
            state,
            base_url=shop.api_base_url or None,
        )
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def _synco_base_url(self):
        return (
            self.webhook_base_url
            or self.env["ir.config_parameter"].sudo().get_param("web.base.url")
            or ""
        ).rstrip("/")

    def _synco_state_secret(self):
        return self.env["ir.config_parameter"].sudo().get_param("database.secret")

    def _synco_oauth_callback(self, params):
        """Check Shopify's redirect, exchange the code, keep the tokens.

        :return: the shop
        :raise UserError: what is wrong; nothing is stored then
        """
        domain = params.get("shop") or ""
        shop = (
            self.sudo()
            .with_context(active_test=False)
            .search([("shop_domain", "=", domain)], limit=1)
        )
        if not oauth.valid_shop_domain(domain) or not shop:
            raise UserError(
                self.env._("No shop %(domain)s is configured.", domain=domain)
            )
        try:
            oauth.verify_callback(params, shop.client_secret)
            oauth.check_state(self._synco_state_secret(), params.get("state"), domain)
            body = oauth.authorization_code_body(
                shop.client_id, shop.client_secret, params["code"]
            )
            token = request_token(
                domain, body, base_url=shop.api_base_url or None, now=time.time()
            )
        except (oauth.OAuthCallbackError, ShopifyError) as exc:
            _logger.warning("OAuth callback for %s refused: %s", domain, exc.message)
            raise UserError(
                self.env._(
                    "Shopify's answer for %(domain)s was refused: %(error)s",
                    domain=domain,
                    error=exc.message,
                )
            ) from exc
        if shop.connect_method != "install_link":
            shop.connect_method = "install_link"  # (forgets older tokens)
        self.env["shopify.shop.token"]._synco_store_token(shop, token)
        return shop

    def action_test_connection(self):
        self.ensure_one()
        with self._user_api_errors():
            info = self._get_client().shop_info()
        throttle = info["throttle"]
        return self._notify(
            self.env._("Connected to %(name)s", name=info["name"]),
            self.env._(
                "%(domain)s, API %(version)s, currency %(currency)s; query "
                "budget %(max)s points restoring %(rate)s/s.",
                domain=info["myshopify_domain"],
                version=info["api_version"],
                currency=info["currency"],
                max=throttle["maximum_available"],
                rate=throttle["restore_rate"],
            ),
        )

    def _get_client(self):
        """The one adapter between the models and the plain-Python client."""
        self.ensure_one()
        shop = self.sudo()
        return ShopifyClient(
            shop.shop_domain,
            self._synco_token_source(),
            shop.api_version,
            base_url=shop.api_base_url or None,
            throttle=self._synco_throttle(),
        )

    def _synco_throttle(self):
        """The bucket estimate every node shares: in the database by default,
        or a file per host (``synco_shopify.throttle_store`` = ``file``)."""
        param = self.env["ir.config_parameter"].sudo().get_param(STORE_PARAM)
        if param == "file":
            return CostThrottle()
        return CostThrottle(DatabaseThrottleStore(self.env.cr.dbname))

    @contextlib.contextmanager
    def _user_api_errors(self):
        """Buttons: an API failure becomes a message the user can act on."""
        try:
            yield
        except ShopifyError as exc:
            raise UserError(
                self.env._(
                    "Shopify answered with an error for %(shop)s: %(error)s",
                    shop=self.name,
                    error=exc,
                )
            ) from exc
