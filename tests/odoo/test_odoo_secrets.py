"""A shop's token and webhook secret never leak, and companies don't mix.

The shop pushes, reconciles, registers its webhooks, imports orders (a
webhook event and the poll), fails on a wrong token, and enqueues its jobs
with a recognisable token and secret; then the log, the ``queue_job`` rows,
messages, mails, the JSON configuration and exports are searched for them.
Only a *Shopify Manager* reads them; a user of another company sees nothing
of the shop.
"""

import json
import logging
from urllib.parse import parse_qs, urlparse

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.synco_shopify.lib.shopify import sign

from ..shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN
from ..support.odoo_common import SimulatorCase

TEE = "SYN-TEE-BLK-M"
SECRET = "whsec-RECOGNISABLE-4f1c9e"


class _Capture(logging.Handler):
    def __init__(self):
        # the server's own level (INFO): at DEBUG Odoo logs every SQL query
        # with its parameters, secrets written to the database included
        super().__init__(logging.INFO)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


@tagged("post_install", "-at_install")
class TestSecrets(SimulatorCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop.webhook_secret = SECRET
        cls.shop.default_warehouse_id = cls.wh_nj

    def _everything_written(self):
        """Every place a secret could end up, as text."""
        cr = self.env.cr
        self.env.flush_all()
        texts = []
        for table in ("queue_job", "mail_message", "mail_mail", "ir_logging"):
            cr.execute(f"SELECT row_to_json(t)::text FROM {table} t")
            texts += [row for (row,) in cr.fetchall()]
        transfer = self.env["shopify.config.transfer"]
        texts.append(json.dumps(transfer._export_configuration(self.shop)))
        return texts

    def test_token_and_secret_never_leak(self):
        capture = _Capture()
        root = logging.getLogger()
        root.addHandler(capture)
        odoo_logger = logging.getLogger("odoo")
        previous = odoo_logger.level
        odoo_logger.setLevel(logging.INFO)  # the server's level, as run
        try:
            self.stock(TEE, self.wh_nj.lot_stock_id, 30)
            self.env.cr.flush()  # the push jobs are stored (queue_job rows)
            self.bindings[TEE]._job_push_inventory()
            self.shop.action_push_all()
            self.shop._create_run()._job_run()
            self.shop.action_register_webhooks()
            nj = "New Jersey Warehouse"
            self.sim.create_order(DEMO_DOMAIN, [(TEE, 1)], location=nj)
            body = json.dumps({"id": 1, "line_items": []}).encode()
            headers = {
                "X-Shopify-Topic": "orders/create",
                "X-Shopify-Event-Id": "evt-secret",
                "X-Shopify-Hmac-Sha256": sign(body, SECRET),
            }
            event = self.env["shopify.webhook.event"]._store(self.shop, headers, body)
            event._delay_process()
            event._job_process()
            self.shop._job_poll_orders()
            self.shop._delay_poll_orders()
            # a wrong token: the error says so without repeating it
            self.shop.access_token = "shpat_WRONG-RECOGNISABLE-77aa"
            with self.assertRaises(Exception) as failure:
                self.shop.action_test_connection()
            self.assertNotIn("RECOGNISABLE", str(failure.exception))
        finally:
            root.removeHandler(capture)
            odoo_logger.setLevel(previous)
        self.assertTrue(capture.lines, "nothing was logged: the capture is broken")
        written = self._everything_written()
        self.assertTrue(any("shopify" in text.lower() for text in written))
        for secret in (DEMO_TOKEN, SECRET, "RECOGNISABLE"):
            for line in capture.lines:
                self.assertNotIn(secret, line)
            for text in written:
                self.assertNotIn(secret, text)

    def test_only_shopify_managers_read_the_secrets(self):
        stock_admin = new_test_user(
            self.env, "stock-admin", groups="stock.group_stock_manager"
        )
        shop = self.shop.with_user(stock_admin)
        self.assertEqual(shop.name, "Simulated")  # configures the rest
        with self.assertRaises(AccessError):
            shop.read(["access_token"])
        with self.assertRaises(UserError):  # no export right, or AccessError
            shop.export_data(["webhook_secret"])
        manager = new_test_user(
            self.env, "shopify-admin", groups="synco_shopify.group_shopify_manager"
        )
        self.assertEqual(
            self.shop.with_user(manager).read(["access_token"])[0]["access_token"],
            DEMO_TOKEN,
        )

    def test_another_company_sees_nothing_of_the_shop(self):
        self.stock(TEE, self.wh_nj.lot_stock_id, 5)
        self.bindings[TEE]._job_push_inventory()
        self.shop._create_run()._job_run()
        other = self.env["res.company"].create({"name": "Other Co"})
        user = new_test_user(
            self.env,
            "other-co",
            groups="synco_shopify.group_shopify_user",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        for model in (
            "shopify.shop",
            "shopify.location",
            "shopify.location.mapping",
            "shopify.location.mapping.source",
            "shopify.product.binding",
            "shopify.inventory.level",
            "shopify.reconciliation",
            "shopify.reconciliation.line",
        ):
            self.assertTrue(self.env[model].search_count([]), model)
            self.assertEqual(self.env[model].with_user(user).search_count([]), 0, model)


CLIENT_SECRET = "client-secret-RECOGNISABLE-9d2e"


@tagged("post_install", "-at_install")
class TestOAuthSecrets(SimulatorCase):
    """Client secrets, access and refresh tokens never leak either."""

    def test_client_secret_and_tokens_never_leak(self):
        # the simulator's app gets a recognisable client secret
        self.sim.shop(DEMO_DOMAIN).webhook_secret = CLIENT_SECRET
        self.shop.write(
            {
                "connect_method": "client_credentials",
                "client_id": self.sim.client_id(self.sim.shop(DEMO_DOMAIN)),
                "client_secret": CLIENT_SECRET,
            }
        )
        capture = _Capture()
        root = logging.getLogger()
        root.addHandler(capture)
        odoo_logger = logging.getLogger("odoo")
        previous = odoo_logger.level
        odoo_logger.setLevel(logging.INFO)
        try:
            self.stock(TEE, self.wh_nj.lot_stock_id, 12)
            self.env.cr.flush()
            self.bindings[TEE]._job_push_inventory()
            self.shop.action_push_all()
            self.shop._create_run()._job_run()
            self.shop.action_register_webhooks()
            self.sim.oauth_tokens.clear()  # a 401, then a renewal
            self.shop._job_poll_orders()
            # the install link: a refresh token too
            self.shop.connect_method = "install_link"
            action = self.shop.action_install_link()
            query = {
                k: v[0] for k, v in parse_qs(urlparse(action["url"]).query).items()
            }
            _status, location = self.sim.authorize(query)
            params = {k: v[0] for k, v in parse_qs(urlparse(location).query).items()}
            self.env["shopify.shop"]._synco_oauth_callback(params)
            self.sim.oauth_tokens.clear()
            self.bindings[TEE]._job_push_inventory(refresh=True)
            # a refused secret: the alert says so without repeating it
            self.shop.write({"client_secret": "wrong-RECOGNISABLE-secret"})
            with self.assertRaises(Exception) as failure:
                self.shop.action_test_connection()
            self.assertNotIn("RECOGNISABLE", str(failure.exception))
        finally:
            root.removeHandler(capture)
            odoo_logger.setLevel(previous)
        issued = list(self.sim.grants)
        self.assertTrue(issued, "no token was obtained: the test is broken")
        tokens = [t for t in self.sim.refresh_tokens] + [params["code"]]
        self.assertTrue(capture.lines)
        cr = self.env.cr
        self.env.flush_all()
        texts = []
        for table in ("queue_job", "mail_message", "mail_mail", "ir_logging"):
            cr.execute(f"SELECT row_to_json(t)::text FROM {table} t")
            texts += [row for (row,) in cr.fetchall()]
        cr.execute("SELECT args::text || kwargs::text FROM queue_job")
        texts += [row for (row,) in cr.fetchall()]
        transfer = self.env["shopify.config.transfer"]
        texts.append(json.dumps(transfer._export_configuration(self.shop)))
        cr.execute("SELECT access_token FROM shopify_shop_token")
        access = [row for (row,) in cr.fetchall() if row]
        for secret in (
            CLIENT_SECRET,
            "RECOGNISABLE",
            "shpat_",
            "shprt_",
            *tokens,
            *access,
        ):
            for line in capture.lines:
                self.assertNotIn(secret, line)
            for text in texts:
                self.assertNotIn(secret, text)

    def test_only_shopify_managers_read_tokens(self):
        stock_admin = new_test_user(
            self.env, "stock-admin-2", groups="stock.group_stock_manager"
        )
        self.shop.write(
            {
                "connect_method": "client_credentials",
                "client_id": self.sim.client_id(self.sim.shop(DEMO_DOMAIN)),
                "client_secret": self.sim.client_secret(self.sim.shop(DEMO_DOMAIN)),
            }
        )
        with self.assertRaises(AccessError):
            self.shop.with_user(stock_admin).read(["client_secret"])
        self.shop.action_test_connection()  # a token row
        rows = self.env["shopify.shop.token"].with_user(stock_admin).search([])
        self.assertTrue(rows)
        for field in ("access_token", "refresh_token"):
            with self.assertRaises(AccessError):
                rows.read([field])
        manager = new_test_user(
            self.env, "shopify-admin-2", groups="synco_shopify.group_shopify_manager"
        )
        self.assertEqual(
            self.shop.with_user(manager).read(["client_secret"])[0]["client_secret"],
            self.sim.client_secret(self.sim.shop(DEMO_DOMAIN)),
        )
