"""A shop connected with client credentials or an install link, through the
simulator: tokens obtained once and kept in the shop's token row, renewed
before expiry, refreshed once on a 401, refresh tokens rotated; a refused
secret opens one alert and the jobs wait without spending retries; a bad
callback (hmac, state, replayed code) stores nothing; ``app/uninstalled``
freezes the shop and reconnecting pushes what changed.
"""

import json
from urllib.parse import parse_qs, urlparse

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.queue_job.exception import RetryableJobError
from odoo.addons.synco_shopify.lib.shopify import (
    ShopifyCredentialsRefused,
    oauth,
    sign,
)

from ..shopify_simulator import DEMO_DOMAIN
from ..support.odoo_common import SimulatorCase

TEE = "SYN-TEE-BLK-M"


@tagged("post_install", "-at_install")
class TestOAuth(SimulatorCase):
    def setUp(self):
        super().setUp()
        self.app = self.sim.shop(DEMO_DOMAIN)
        self.shop.write(
            {
                "connect_method": "client_credentials",
                "client_id": self.sim.client_id(self.app),
                "client_secret": self.sim.client_secret(self.app),
            }
        )

    def row(self):
        Token = self.env["shopify.shop.token"].sudo()
        Token.invalidate_model()
        return Token.search([("shop_id", "=", self.shop.id)])

    def grants(self, grant):
        return sum(
            g["count"] for g in self.sim.oauth_stats()["grants"] if g["grant"] == grant
        )

    def shopify_level(self):
        return self.shopify(TEE, "New Jersey Warehouse")

    def push(self, quantity):
        self.stock(TEE, self.wh_nj.lot_stock_id, quantity)
        self.bindings[TEE]._job_push_inventory()

    # ------------------------------------------------------ client credentials
    def test_token_obtained_once_and_reused(self):
        self.push(7)
        self.push(3)
        self.shop.action_test_connection()
        self.assertEqual(self.shopify_level(), 10)
        self.assertEqual(self.grants("client_credentials"), 1)
        row = self.row()
        self.assertEqual(row.fetches, 1)
        self.assertTrue(row.access_token.startswith("shpat_"))
        self.assertEqual(self.shop.connection_state, "connected")

    def test_renewed_before_expiry(self):
        self.shop.action_test_connection()
        first = self.row().access_token
        # 60 s left of a 24-hour token: inside the 5-minute margin
        self.env.cr.execute(
            "UPDATE shopify_shop_token SET expires_at = "
            "(clock_timestamp() at time zone 'UTC') + interval '60 seconds', "
            "obtained_at = (clock_timestamp() at time zone 'UTC') - "
            "interval '86339 seconds' WHERE shop_id = %s",
            [self.shop.id],
        )
        self.push(4)
        self.assertNotEqual(self.row().access_token, first)
        self.assertEqual(self.grants("client_credentials"), 2)
        self.assertEqual(self.shopify_level(), 4)

    def test_401_refreshes_once(self):
        self.shop.action_test_connection()
        self.sim.oauth_tokens.clear()  # revoked before its time
        self.push(5)
        self.assertEqual(self.shopify_level(), 5)
        self.assertEqual(self.grants("client_credentials"), 2)
        statuses = [e["http_status"] for e in self.sim.log]
        self.assertEqual(statuses.count(401), 1)

    def test_wrong_secret_jobs_wait_nothing_stored(self):
        self.shop.client_secret = "not-the-secret"
        self.stock(TEE, self.wh_nj.lot_stock_id, 6)
        with self.assertRaises(ShopifyCredentialsRefused):
            self.shop._get_client().shop_info()
        for _attempt in range(3):
            with self.assertRaises(RetryableJobError) as caught:
                self.bindings[TEE]._job_push_inventory()
            self.assertTrue(caught.exception.ignore_retry)  # no retry spent
        self.assertFalse(self.row().access_token)
        # (the alert and the refusal are kept in a transaction of their own;
        # a shop created in the test's transaction keeps them in it, and the
        # refusal's savepoint is lost here: the plain tests show one alert
        # and one request, tests/plain/test_oauth.py)
        self.assertEqual(self.shopify_level(), 50)  # nothing written
        # the right secret: reconnecting resumes and pushes what waited
        self.shop.client_secret = self.sim.client_secret(self.app)
        self.shop.action_reconnect()
        self.assertEqual(self.shop.connection_state, "connected")
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify_level(), 6)

    def test_webhooks_signed_with_the_client_secret(self):
        self.shop.webhook_secret = "legacy-webhook-secret"
        self.assertEqual(self.shop._synco_webhook_key(), self.app.webhook_secret)
        self.shop.connect_method = "admin_token"
        self.assertEqual(self.shop._synco_webhook_key(), "legacy-webhook-secret")

    def test_rotated_client_secret_keeps_the_previous_for_webhooks(self):
        old = self.shop.client_secret
        self.shop.client_secret = "rotated-secret"
        self.assertEqual(self.shop.webhook_secret_previous, old)
        self.assertTrue(self.shop.webhook_secret_previous_until)

    def test_legacy_admin_token_untouched(self):
        self.shop.write({"connect_method": "admin_token"})
        self.push(2)
        self.assertEqual(self.shopify_level(), 2)
        self.assertEqual(self.grants("client_credentials"), 0)

    # ------------------------------------------------------------ install link
    def callback(self, state=None):
        action = self.shop.action_install_link()
        url = urlparse(action["url"])
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        self.assertEqual(query["client_id"], self.shop.client_id)
        self.assertIn("write_inventory", query["scope"])
        if state is not None:
            query["state"] = state
        status, location = self.sim.authorize(query)
        self.assertEqual(status, 302)
        return {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}

    def test_install_link_stores_expiring_token_and_rotates(self):
        params = self.callback()
        self.env["shopify.shop"]._synco_oauth_callback(params)
        row = self.row()
        self.assertEqual(self.shop.connect_method, "install_link")
        first_refresh = row.refresh_token
        self.assertTrue(first_refresh.startswith("shprt_"))
        self.push(3)
        self.assertEqual(self.shopify_level(), 3)
        self.sim.oauth_tokens.clear()  # the 60-minute token expired
        self.push(2)
        self.assertEqual(self.shopify_level(), 5)
        self.assertEqual(self.grants("refresh_token"), 1)
        self.assertNotEqual(self.row().refresh_token, first_refresh)
        self.assertNotIn(first_refresh, self.sim.refresh_tokens)

    def assert_refused(self, params, words):
        with self.assertRaises(UserError) as caught:
            self.env["shopify.shop"]._synco_oauth_callback(params)
        self.assertIn(words, str(caught.exception))
        self.assertFalse(self.row().access_token)

    def test_wrong_hmac_stores_nothing(self):
        params = self.callback()
        params["hmac"] = "f" * 64
        self.assert_refused(params, "hmac")
        self.assertEqual(self.grants("authorization_code"), 0)

    def test_forged_state_stores_nothing(self):
        forged = oauth.make_state("not-our-secret", DEMO_DOMAIN)
        self.assert_refused(self.callback(state=forged), "forged")

    def test_expired_state_stores_nothing(self):
        secret = self.shop._synco_state_secret()
        expired = oauth.make_state(secret, DEMO_DOMAIN, now=1_000_000)
        self.assert_refused(self.callback(state=expired), "expired")

    def test_replayed_code_stores_nothing_more(self):
        params = self.callback()
        self.env["shopify.shop"]._synco_oauth_callback(params)
        self.env["shopify.shop.token"]._synco_reset(self.shop)
        self.assert_refused(params, "already used")

    # --------------------------------------------------------------- uninstall
    def test_app_uninstalled_freezes_and_reconnect_catches_up(self):
        self.push(4)
        body = json.dumps({"myshopify_domain": DEMO_DOMAIN}).encode()
        headers = {
            "X-Shopify-Topic": "app/uninstalled",
            "X-Shopify-Event-Id": "evt-uninstall",
            "X-Shopify-Hmac-Sha256": sign(body, self.shop._synco_webhook_key()),
        }
        self.sim.uninstall(DEMO_DOMAIN)
        event = self.env["shopify.webhook.event"]._store(self.shop, headers, body)
        event._job_process()
        self.assertEqual(event.state, "processed")
        self.assertTrue(self.shop.sync_frozen)
        self.assertEqual(self.shop.connection_state, "uninstalled")
        alert = self.env["shopify.alert"].search(
            [("shop_id", "=", self.shop.id), ("kind", "=", "app_uninstalled")]
        )
        self.assertEqual(len(alert), 1)
        # stock moves while the app is away: nothing is written, nothing lost
        self.stock(TEE, self.wh_nj.lot_stock_id, 5)
        self.bindings[TEE]._job_push_inventory()
        self.assertEqual(self.shopify_level(), 4)
        # the merchant installs the app again; reconnect
        self.sim.install(DEMO_DOMAIN)
        self.shop.action_reconnect()
        self.assertFalse(self.shop.sync_frozen)
        self.assertEqual(alert.state, "resolved")
        topics = {w.topic for w in self.app.webhooks.values()}
        self.assertIn("APP_UNINSTALLED", topics)
        self.bindings[TEE]._job_push_inventory(refresh=True)
        self.assertEqual(self.shopify_level(), 9)
