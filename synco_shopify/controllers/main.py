# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""The webhook endpoint Shopify calls: verify, store, enqueue, answer.

Shopify gives up on a delivery after 5 s and retries it 8 times over 4 hours,
so nothing slow happens here: the signature is checked on the raw body
before anything is parsed, the event is stored once (its id is unique per
shop) and a queue job does the work after the 200.
"""

import json
import logging
from datetime import datetime

from werkzeug.exceptions import RequestEntityTooLarge

from odoo import SUPERUSER_ID, http
from odoo.exceptions import UserError
from odoo.http import request

from ..lib.shopify import HMAC_HEADER, verify_hmac

_logger = logging.getLogger(__name__)

# Shopify's order payloads are a few kB; a huge order with hundreds of lines
# stays well under 1 MB.  Anything larger is refused before it is read.
MAX_BODY_BYTES = 2 * 1024 * 1024


class ShopifyWebhookController(http.Controller):
    @http.route(
        "/synco_shopify/webhook/<int:shop_id>",
        type="http",
        auth="none",
        methods=["POST"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def shopify_webhook(self, shop_id, **_kwargs):
        """Answer 200 once the event is stored (or known), 4xx otherwise."""
        httprequest = request.httprequest
        remote = httprequest.remote_addr
        if (httprequest.content_length or 0) > MAX_BODY_BYTES:
            _logger.warning(
                "Shopify webhook for shop %s from %s refused: %s bytes (413)",
                shop_id,
                remote,
                httprequest.content_length,
            )
            return self._answer(413, "Payload Too Large")
        env = request.env(user=SUPERUSER_ID)
        shop = env["shopify.shop"].browse(shop_id).exists()
        if not shop or not shop.active:
            _logger.warning(
                "Shopify webhook from %s for unknown or inactive shop %s (404)",
                remote,
                shop_id,
            )
            return self._answer(404, "Unknown shop")
        # bounded read: a body without Content-Length can't grow over it.
        # Cached: when two deliveries of one event race, the second INSERT
        # ... ON CONFLICT hits a serialization failure (repeatable read) and
        # Odoo retries the whole request, which must read the body again.
        httprequest.max_content_length = MAX_BODY_BYTES
        try:
            body = httprequest.get_data()
        except RequestEntityTooLarge:
            body = None
        if body is None or len(body) > MAX_BODY_BYTES:
            _logger.warning(
                "Shopify webhook for shop %s from %s refused: body over %s bytes (413)",
                shop_id,
                remote,
                MAX_BODY_BYTES,
            )
            return self._answer(413, "Payload Too Large")
        headers = httprequest.headers
        signature = headers.get(HMAC_HEADER)
        if not verify_hmac(body, signature, shop._synco_webhook_key()) and not (
            self._previous_secret_valid(shop, body, signature)
        ):
            _logger.warning(
                "Shopify webhook for shop %s from %s refused: bad or missing "
                "signature (401)",
                shop_id,
                remote,
            )
            return self._answer(401, "Invalid signature")
        try:
            # Shopify sends UTF-8; json.loads would also take UTF-16 or -32
            # bytes, which the event's text column could not store as such
            parsed = json.loads(body.decode("utf-8"))
        except ValueError:  # UnicodeDecodeError included
            parsed = None
        if not isinstance(parsed, dict):
            _logger.warning(
                "Shopify webhook for shop %s from %s refused: body is not JSON (400)",
                shop_id,
                remote,
            )
            return self._answer(400, "Malformed JSON")
        event = env["shopify.webhook.event"]._store(shop, headers, body)
        if event is None:
            _logger.info(
                "Shopify webhook for shop %s: event %s already received",
                shop_id,
                headers.get("X-Shopify-Event-Id"),
            )
            return self._answer(200, "Duplicate")
        event._delay_process(parsed)
        return self._answer(200, "OK")

    @staticmethod
    def _previous_secret_valid(shop, body, signature):
        """Signed with the previous secret, within its grace period: counted."""
        until = shop.webhook_secret_previous_until
        if not shop.webhook_secret_previous or not until or until < datetime.now():
            return False
        if not verify_hmac(body, signature, shop.webhook_secret_previous):
            return False
        # one UPDATE, no ORM write: concurrent deliveries only queue on it
        request.env.cr.execute(
            "UPDATE shopify_shop SET webhook_previous_secret_hits = "
            "COALESCE(webhook_previous_secret_hits, 0) + 1 WHERE id = %s",
            (shop.id,),
        )
        _logger.info(
            "Shopify webhook for shop %s accepted with the previous secret",
            shop.id,
        )
        return True

    @staticmethod
    def _answer(status, text):
        return request.make_response(
            text, headers=[("Content-Type", "text/plain")], status=status
        )


class ShopifyOAuthController(http.Controller):
    @http.route(
        "/synco_shopify/oauth/callback",
        type="http",
        auth="none",
        methods=["GET"],
        csrf=False,
        save_session=False,
        readonly=False,
    )
    def shopify_oauth_callback(self, **params):
        """Shopify's redirect after the merchant approved the install link.

        ``hmac``, ``state`` (signed by us, bound to the shop, expiring),
        ``timestamp`` and the shop domain are checked before the code is
        exchanged (``shopify.connection._synco_oauth_callback``); a refused
        callback stores nothing and says why.
        """
        env = request.env(user=SUPERUSER_ID)
        try:
            shop = env["shopify.shop"]._synco_oauth_callback(
                {k: v for k, v in params.items() if isinstance(v, str)}
            )
        except UserError as exc:
            request.env.cr.rollback()
            return request.make_response(
                str(exc.args[0]),
                headers=[("Content-Type", "text/plain; charset=utf-8")],
                status=400,
            )
        return request.redirect(f"/odoo/shopify.shop/{shop.id}", local=True)
