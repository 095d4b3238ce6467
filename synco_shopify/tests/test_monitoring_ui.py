# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
from odoo.tests import HttpCase, tagged

WAIT_FOR = """
    const waitFor = async (selector, text) => {
        for (let i = 0; i < 200; i++) {
            const nodes = [...document.querySelectorAll(selector)];
            const node = nodes.find((n) => !text || n.textContent.includes(text));
            if (node) {
                return node;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        throw new Error(`${selector} ${text || ""} never showed`);
    };
"""


def script(body):
    """Browser code: wait for what ``body`` awaits, fail with its message."""
    return (
        "(async () => {"
        + WAIT_FOR
        + body
        + "})().catch((error) => console.error('test failed: ' + error.message));"
    )


@tagged("post_install", "-at_install")
class TestMonitoringUi(HttpCase):
    """The overview, the alerts kanban and a digest, rendered in a browser."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls.env["shopify.shop"].create(
            {"name": "Overview Shop", "shop_domain": "overview-shop.myshopify.com"}
        )
        location = cls.env["shopify.location"].create(
            {
                "name": "Overview NJ",
                "shop_id": cls.shop.id,
                "shopify_gid": "gid://shopify/Location/88",
            }
        )
        product = cls.env["product.product"].create(
            {"name": "Overview Tee", "default_code": "OV-TEE", "is_storable": True}
        )
        Alert = cls.env["shopify.alert"]
        Alert._synco_report(
            cls.shop,
            "negative_level",
            {(product, location, None): {"shopify_qty": -3, "message": "Shopify -3"}},
        )
        Alert._synco_report(
            cls.shop,
            "value_gap",
            {(None, None, None): {"message": "gap"}},
            severity="weekly",
        )
        cls.digest = cls.env["shopify.digest"]._synco_build(cls.shop)

    def test_overview(self):
        self.browser_js(
            "/odoo/action-synco_shopify.shopify_overview_action",
            script(
                """
            const card = await waitFor(".o_kanban_record", "Overview Shop");
            if (!card.textContent.includes("immediate alerts")) {
                throw new Error("no alert count on the card: " + card.textContent);
            }
            if (!card.textContent.includes("Needs attention")) {
                throw new Error("an open alert should show: " + card.textContent);
            }
            console.log("test successful");
            """
            ),
            login="admin",
        )

    def test_alerts_kanban_and_digest(self):
        self.browser_js(
            "/odoo/action-synco_shopify.shopify_alert_action?view_type=kanban",
            script(
                """
            await waitFor(".o_kanban_group", "Open");
            await waitFor(".o_kanban_record", "Overview Tee");
            console.log("test successful");
            """
            ),
            login="admin",
        )
        self.browser_js(
            f"/odoo/shopify.digest/{self.digest.id}",
            script(
                """
            await waitFor(".o_form_view", "Value in Shopify");
            console.log("test successful");
            """
            ),
            login="admin",
        )
