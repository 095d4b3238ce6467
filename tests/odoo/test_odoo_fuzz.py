"""Fuzzed inputs against a real Odoo (hypothesis, bounded for CI).

* The webhook endpoint gets random bodies, headers, signatures, sizes and
  encodings: it never answers 500, and never stores an event whose signature
  is not valid for the shop's secret.
* The JSON configuration import gets random documents: a clear error and
  nothing changed, or (rarely) a valid configuration.
"""

import json

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from odoo.exceptions import UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.synco_shopify.lib.shopify import sign
from odoo.addons.synco_shopify.tests.common import SyncoCase

SECRET = "fuzz-secret"
FUZZ = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI never flakes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.differing_executors],
)

header_text = st.one_of(
    st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=255),
        max_size=300,
    ),
    st.sampled_from(["orders/create", "ORDERS/UPDATED", "", "inventory_levels/update"]),
)
json_bodies = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        st.text(max_size=40),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=10), children, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def bodies(draw):
    kind = draw(st.sampled_from(["json", "utf16", "bytes", "object"]))
    if kind == "bytes":
        return draw(st.binary(max_size=2000))
    value = draw(json_bodies)
    if kind == "object":
        value = {"id": draw(st.integers(0, 2**64)), "data": value}
    text = json.dumps(value)
    return text.encode("utf-16" if kind == "utf16" else "utf-8")


class _Rollback(Exception):
    """Undo one example's import, whatever it did."""


@tagged("post_install", "-at_install")
class TestWebhookFuzz(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls.env["shopify.shop"].create(
            {
                "name": "Fuzz Shop",
                "shop_domain": "synco-fuzz.myshopify.com",
                "access_token": "shpat_fuzz",
                "webhook_secret": SECRET,
            }
        )

    @FUZZ
    @given(
        body=bodies(),
        signature=st.sampled_from(["valid", "other-secret", "garbage", "missing"]),
        topic=header_text,
        event_id=header_text,
        version=header_text,
        triggered=header_text,
    )
    # found by this test: UTF-16 JSON parsed, then failed to store (500)
    @example(b"\xff\xfe{\x00}\x00", "valid", "orders/create", "e1", "", "")
    @example(b"", "valid", "", "", "", " ")
    def test_webhook_endpoint_never_fails_nor_stores_unsigned(
        self, body, signature, topic, event_id, version, triggered
    ):
        headers = {
            "Content-Type": "application/json",
            "X-Shopify-Topic": topic,
            "X-Shopify-Event-Id": event_id,
            "X-Shopify-API-Version": version,
            "X-Shopify-Triggered-At": triggered,
        }
        if signature == "valid":
            headers["X-Shopify-Hmac-Sha256"] = sign(body, SECRET)
        elif signature == "other-secret":
            headers["X-Shopify-Hmac-Sha256"] = sign(body, "not-the-secret")
        elif signature == "garbage":
            headers["X-Shopify-Hmac-Sha256"] = "%%not base64%%"
        Event = self.env["shopify.webhook.event"]
        before = Event.search_count([])
        # always a POST, even with an empty body (url_open would GET)
        response = self.opener.post(
            f"{self.base_url()}/synco_shopify/webhook/{self.shop.id}",
            data=body,
            # a header value can't start or end with blanks on the wire
            headers={k: v.strip().encode("latin-1") for k, v in headers.items()},
            timeout=30,
        )
        self.assertIn(response.status_code, (200, 400, 401, 413), response.text)
        stored = Event.search_count([]) - before
        if signature != "valid":
            self.assertEqual(response.status_code, 401)
            self.assertEqual(stored, 0)
        if response.status_code != 200:
            self.assertEqual(stored, 0)


@tagged("post_install", "-at_install")
class TestConfigurationImportFuzz(SyncoCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mapping = cls._mapping(cls.loc_nj, cls.wh_nj.lot_stock_id)
        cls.env["shopify.buffer.rule"].create(
            {"shop_id": cls.shop.id, "buffer_percent": 5}
        )

    def _snapshot(self):
        return (
            [
                (m.shopify_location_id.id, m.state, tuple(m.source_ids.location_id.ids))
                for m in self.shop.mapping_ids
            ],
            [(r.buffer_percent, r.buffer_units) for r in self.shop.buffer_rule_ids],
        )

    @st.composite
    def documents(draw):
        """Mostly near-valid documents with random parts, some pure noise."""
        names = ["SNJ/Stock", "STX/Stock", "SNJ/Stock/Quarantine", "nowhere", ""]
        gids = [f"gid://shopify/Location/{n}" for n in (1, 2, 4, 99)] + ["x", ""]
        noise = json_bodies
        mapping = st.fixed_dictionaries(
            {
                "shopify_location": st.one_of(st.sampled_from(gids), noise),
                "sources": st.one_of(
                    st.lists(st.sampled_from(names), max_size=3), noise
                ),
            },
            optional={
                "state": st.one_of(st.sampled_from(["active", "draft", "on"]), noise),
                "aggregation": st.one_of(st.sampled_from(["sum", "max", "avg"]), noise),
                "drift_threshold": st.one_of(st.integers(-5, 5), noise),
                "excluded_locations": st.one_of(
                    st.lists(st.sampled_from(names), max_size=2), noise
                ),
                "unknown": noise,
            },
        )
        rule = st.fixed_dictionaries(
            {},
            optional={
                "shopify_location": st.one_of(st.sampled_from(gids), st.none()),
                "product": st.one_of(st.sampled_from(["SYN-TEST-TEE", "?"]), noise),
                "product_category": st.one_of(st.none(), noise),
                "percent": st.one_of(st.floats(-50, 150), noise),
                "units": st.one_of(st.floats(-5, 50), noise),
            },
        )
        document = st.fixed_dictionaries(
            {
                "format": st.one_of(st.just("synco_shopify.configuration"), noise),
                "version": st.one_of(st.just(1), noise),
                "mappings": st.one_of(st.lists(mapping, max_size=3), noise),
            },
            optional={"buffer_rules": st.one_of(st.lists(rule, max_size=2), noise)},
        )
        return draw(st.one_of(document, noise))

    @FUZZ
    @given(document=documents())
    # found by this test: a null list wiped the configuration; a number for
    # a list was a TypeError
    @example({"format": "synco_shopify.configuration", "version": 1, "mappings": None})
    @example(
        {
            "format": "synco_shopify.configuration",
            "version": 1,
            "mappings": [
                {"shopify_location": "gid://shopify/Location/1", "sources": 1},
                {
                    "shopify_location": "gid://shopify/Location/2",
                    "sources": ["STX/Stock"],
                    "excluded_locations": 1,
                },
            ],
        }
    )
    def test_random_documents_are_refused_cleanly(self, document):
        Transfer = self.env["shopify.config.transfer"]
        before = self._snapshot()
        try:
            with self.env.cr.savepoint():
                try:
                    Transfer._import_configuration(self.shop, document)
                except UserError as exc:
                    self.assertTrue(str(exc))
                    self.assertEqual(self._snapshot(), before)
                else:
                    # a valid document replaced the configuration as a whole
                    self.assertEqual(
                        len(self.shop.mapping_ids), len(document["mappings"])
                    )
                raise _Rollback
        except _Rollback:
            pass
        self.env.invalidate_all()
        self.assertEqual(self._snapshot(), before)
