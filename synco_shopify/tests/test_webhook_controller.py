# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
import json

from odoo.tests import HttpCase, tagged

from ..controllers.main import MAX_BODY_BYTES
from ..lib.shopify import sign

SECRET = "controller-secret"


@tagged("post_install", "-at_install")
class TestWebhookController(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls.env["shopify.shop"].create(
            {
                "name": "Webhook Shop",
                "shop_domain": "synco-webhooks.myshopify.com",
                "access_token": "shpat_x",
                "webhook_secret": SECRET,
            }
        )
        cls.Event = cls.env["shopify.webhook.event"]

    def _post(self, body, event_id="evt-1", secret=SECRET, shop=None, **headers):
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        all_headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-Webhook-Id": f"wh-{event_id}",
            "X-Shopify-Shop-Domain": self.shop.shop_domain,
            "X-Shopify-API-Version": "2026-07",
            "X-Shopify-Triggered-At": "2026-07-01T14:00:00.000Z",
        }
        if secret is not None:
            all_headers["X-Shopify-Hmac-Sha256"] = sign(body, secret)
        all_headers.update(headers)
        shop_id = (shop or self.shop).id
        return self.url_open(
            f"/synco_shopify/webhook/{shop_id}", data=body, headers=all_headers
        )

    def _events(self):
        return self.Event.search([("shop_id", "=", self.shop.id)])

    def test_valid_event_stored_once_and_enqueued(self):
        body = {"id": 1, "line_items": []}
        response = self._post(body)
        self.assertEqual(response.status_code, 200)
        event = self._events()
        self.assertEqual(len(event), 1)
        self.assertEqual(
            (event.topic, event.event_id, event.state, event.api_version),
            ("orders/create", "evt-1", "received", "2026-07"),
        )
        self.assertEqual(json.loads(event.payload), body)
        job = self.env["queue.job"].search(
            [("identity_key", "=", f"synco_shopify.webhook:{event.id}")]
        )
        self.assertEqual(job.channel, self.shop._job_channel())
        # Shopify delivers it again: answered 200, stored and enqueued once
        response = self._post(body)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.text, "Duplicate")
        self.assertEqual(len(self._events()), 1)
        self.assertEqual(
            self.env["queue.job"].search_count(
                [("identity_key", "=", f"synco_shopify.webhook:{event.id}")]
            ),
            1,
        )

    def test_forged_or_missing_signature_401(self):
        with self.assertLogs("odoo.addons.synco_shopify.controllers.main", "WARNING"):
            self.assertEqual(self._post({"id": 1}, secret="guess").status_code, 401)
            self.assertEqual(self._post({"id": 1}, secret=None).status_code, 401)
            response = self._post(
                {"id": 1}, **{"X-Shopify-Hmac-Sha256": "not base64 !"}
            )
            self.assertEqual(response.status_code, 401)
        self.assertFalse(self._events())

    def test_malformed_json_400(self):
        with self.assertLogs("odoo.addons.synco_shopify.controllers.main", "WARNING"):
            self.assertEqual(self._post(b'{"id": 1,').status_code, 400)
            self.assertEqual(self._post(b"[1, 2]").status_code, 400)
            self.assertEqual(self._post(b"\xff\xfe").status_code, 400)
        self.assertFalse(self._events())

    def test_unknown_or_inactive_shop_404(self):
        other = self.shop.copy({"shop_domain": "synco-other.myshopify.com"})
        other.webhook_secret = SECRET
        other.active = False
        with self.assertLogs("odoo.addons.synco_shopify.controllers.main", "WARNING"):
            self.assertEqual(self._post({"id": 1}, shop=other).status_code, 404)
            other.unlink()
            self.assertEqual(self._post({"id": 1}, shop=other).status_code, 404)
        self.assertFalse(
            self.Event.search([]).filtered(lambda e: e.event_id == "evt-1")
        )

    def test_oversized_body_413(self):
        body = b'{"pad": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}'
        with self.assertLogs("odoo.addons.synco_shopify.controllers.main", "WARNING"):
            self.assertEqual(self._post(body).status_code, 413)
        self.assertFalse(self._events())

    def test_get_not_allowed(self):
        response = self.url_open(f"/synco_shopify/webhook/{self.shop.id}")
        self.assertEqual(response.status_code, 405)

    def test_previous_secret_accepted_during_grace_only(self):
        """Rotating the secret keeps the old one valid for a grace period."""
        self.shop.webhook_secret = "new-secret"
        self.assertEqual(self.shop.webhook_secret_previous, SECRET)
        self.assertTrue(self.shop.webhook_secret_previous_until)
        self.assertEqual(self._post({"id": 2}, "evt-old").status_code, 200)
        self.assertEqual(
            self._post({"id": 3}, "evt-new", secret="new-secret").status_code, 200
        )
        self.shop.invalidate_recordset(["webhook_previous_secret_hits"])
        self.assertEqual(self.shop.webhook_previous_secret_hits, 1)
        # the grace period is over: the old secret is refused
        self.shop.webhook_secret_previous_until = "2020-01-01 00:00:00"
        with self.assertLogs("odoo.addons.synco_shopify.controllers.main", "WARNING"):
            self.assertEqual(self._post({"id": 4}, "evt-late").status_code, 401)
