"""Take the README's and the Apps page's screenshots from a running demo.

Start the demo first (it connects the demo shop to the simulator), then::

    python3 tests/harness.py demo --port 8369 --simulator-port 9065 &
    python3 tools/screenshots.py --url http://127.0.0.1:8369 [NAME ...]

Each shot of ``SHOTS`` is a page of the demo, opened in headless Chromium
(driven over its DevTools protocol with ``websocket-client``), waited for,
and saved as ``synco_shopify/static/description/screenshots/<name>.png``.
Name shots to take only those.  To add a shot, add an entry to ``SHOTS``: a
name, a function returning the URL (a path of the demo, or a ``file://``
page it wrote; it may prepare records over JSON-2),
the CSS selector to wait for, and optionally JavaScript to run first (a
click) with the selector to wait for after it.  The Apps page's banner
(``static/description/banner.png``) is ``tools/banner.html`` around the "why
this number?" shot, taken last (name ``banner``).  A new shot is shown by
adding it to a ``readme/`` fragment and running ``tools/gen_addon_readmes.sh``
(OCA's oca-gen-addon-readme).
"""

import argparse
import base64
import contextlib
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from tests.support.json2 import Json2, read_api_key

DEMO_STATE = REPO / ".synco" / "demo"
OUT = REPO / "synco_shopify" / "static" / "description" / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DB = "synco_demo"


def connect(url, api_key=None):
    """JSON-2 calls to the demo, to find or prepare the records a shot shows,
    with the administrator's API key the harness wrote in ``.synco/demo``."""
    return Json2(url, DB, api_key or read_api_key(DEMO_STATE), timeout=300)


# -- the shots ---------------------------------------------------------------------


def _shop(demo):
    shop = demo.ref("synco_shopify.demo_shop")
    return f"/odoo/action-synco_shopify.shopify_shop_action/{shop}"


def _mappings(demo):
    return "/odoo/action-synco_shopify.shopify_location_mapping_action"


def _reconciliation(demo):
    """The demo shop's latest run; a dry run is started when there is none."""
    shop = demo.ref("synco_shopify.demo_shop")
    runs = demo.call(
        "shopify.reconciliation",
        "search",
        [("shop_id", "=", shop), ("state", "=", "done")],
        order="id desc",
        limit=1,
    )
    if not runs:
        demo.call("shopify.shop", "action_dry_run", [shop])
        for _i in range(120):
            runs = demo.call(
                "shopify.reconciliation",
                "search",
                [("shop_id", "=", shop), ("state", "=", "done")],
                limit=1,
            )
            if runs:
                break
            time.sleep(1)
    return f"/odoo/action-synco_shopify.shopify_reconciliation_action/{runs[0]}"


def _drift_graph(demo):
    _reconciliation(demo)
    return "/odoo/action-synco_shopify.shopify_reconciliation_action?view_type=graph"


def _why(demo):
    """The tee in New Jersey: bins counted, the quarantine left out."""
    line = demo.call(
        "shopify.figure.explanation",
        "create",
        {
            "product_id": demo.ref("synco_shopify.demo_product_tee_s"),
            "shopify_location_id": demo.ref("synco_shopify.demo_shopify_location_nj"),
        },
    )
    return f"/odoo/shopify.figure.explanation/{line}"


def _product_figures(demo):
    tee = demo.ref("synco_shopify.demo_product_tee_s")
    template = demo.call("product.product", "read", [tee], ["product_tmpl_id"])[0]
    return (
        "/odoo/action-stock.product_template_action_product/"
        f"{template['product_tmpl_id'][0]}"
    )


def _overview(demo):
    return "/odoo/action-synco_shopify.shopify_overview_action"


def _digest(demo):
    """The demo shop's weekly digest e-mail, as *Send Digest Now* queues it."""
    shop = demo.ref("synco_shopify.demo_shop")
    action = demo.call("shopify.shop", "action_send_digest_now", [shop])
    digest = demo.call("shopify.digest", "read", [action["res_id"]], ["mail_id"])[0]
    if not digest["mail_id"]:
        raise SystemExit("the demo shop has no digest recipients")
    body = demo.call("mail.mail", "read", [digest["mail_id"][0]], ["body_html"])[0]
    page = Path(tempfile.mkdtemp(prefix="synco-digest-")) / "digest.html"
    page.write_text(
        "<html><body style='margin:24px auto;max-width:860px;background:#fff'>"
        + body["body_html"]
        + "</body></html>"
    )
    return page.as_uri()


def _onboarding(demo):
    """The assistant, opened from the demo shop: its mappings, as a re-run
    shows them."""
    return _shop(demo)


OPEN_ASSISTANT = (
    "[...document.querySelectorAll('.o_form_view .o_statusbar_buttons button')]"
    ".find(b => b.textContent.includes('Setup Assistant')).click()"
)

# (name, url(demo), selector to wait for, [JavaScript to run, selector after])
SHOTS = [
    ("shop", _shop, ".o_form_view .o_notebook", None),
    ("mappings", _mappings, ".o_list_view .o_data_row", None),
    ("reconciliation", _reconciliation, ".o_form_view .o_form_sheet", None),
    ("drift_graph", _drift_graph, ".o_graph_view canvas", None),
    ("why_this_number", _why, ".o_synco_why .o_synco_why_target", None),
    (
        "product_figures",
        _product_figures,
        "button[name='action_synco_shopify_figures']",
        (
            "document.querySelector('[name=action_synco_shopify_figures]').click()",
            ".o_list_view .o_data_row .o_synco_why_button",
        ),
    ),
    ("overview", _overview, ".o_kanban_record .badge", None),
    ("digest", _digest, "table", None),
    (
        "onboarding",
        _onboarding,
        ".o_form_view .o_statusbar_buttons",
        (OPEN_ASSISTANT, ".modal .o_synco_onboarding .o_data_row"),
    ),
]


# -- the browser -------------------------------------------------------------------


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    """Headless Chromium on one page, driven over the DevTools protocol."""

    def __init__(self, width=1440, height=900):
        self.profile = tempfile.mkdtemp(prefix="synco-shots-")
        port = _free_port()
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--hide-scrollbars",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        targets = None
        for _i in range(100):
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as r:
                    targets = [t for t in json.load(r) if t["type"] == "page"]
                if targets:
                    break
            time.sleep(0.1)
        if not targets:
            self.close()
            raise RuntimeError("Chromium did not start")
        self.ws = websocket.create_connection(
            targets[0]["webSocketDebuggerUrl"], timeout=60, suppress_origin=True
        )
        self.next_id = 0
        self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def send(self, method, **params):
        self.next_id += 1
        self.ws.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def goto(self, url):
        self.send("Page.navigate", url=url)

    def wait_for(self, selector, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.3)
        raise TimeoutError(f"{selector} did not appear")

    def run(self, script, timeout=30):
        """Run ``script`` once it runs without error (its target rendered)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self.send("Runtime.evaluate", expression=script)
            if "exceptionDetails" not in result:
                return
            time.sleep(0.5)
        raise TimeoutError(f"{script} kept failing")

    def screenshot(self, path):
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def login(browser, url, db=DB):
    browser.goto(f"{url}/web/login?db={db}")
    browser.wait_for("form.oe_login_form input[name='login']")
    browser.evaluate(
        "document.querySelector(\"input[name='login']\").value = 'admin';"
        "document.querySelector(\"input[name='password']\").value = 'admin';"
        "document.querySelector('form.oe_login_form').submit();"
    )
    browser.wait_for(".o_main_navbar")


def take_banner(browser):
    """``banner.png`` (1120 × 560): ``tools/banner.html`` around a screenshot."""
    browser.send(
        "Emulation.setDeviceMetricsOverride",
        width=1120,
        height=560,
        deviceScaleFactor=1,
        mobile=False,
    )
    browser.goto((REPO / "tools" / "banner.html").as_uri())
    browser.wait_for("img")
    time.sleep(1)
    browser.screenshot(OUT.parent / "banner.png")
    print("banner.png")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8369")
    parser.add_argument(
        "--api-key",
        help="the administrator's API key (default: the one the harness wrote "
        "in .synco/demo, or $SYNCO_API_KEY)",
    )
    parser.add_argument("names", nargs="*", help="shots to take (default: all)")
    args = parser.parse_args()
    wanted = [s for s in SHOTS if not args.names or s[0] in args.names]
    OUT.mkdir(parents=True, exist_ok=True)
    demo = connect(args.url, args.api_key)
    browser = Browser()
    try:
        login(browser, args.url)
        for name, url, selector, action in wanted:
            target = url(demo)  # a path of the demo, or a page of its own
            browser.goto(target if "://" in target else args.url + target)
            browser.wait_for(selector)
            if action:
                script, selector = action
                time.sleep(1)  # the page's handlers are bound a little later
                browser.run(script)
                browser.wait_for(selector)
            time.sleep(1.5)  # let the last rendering and animations settle
            browser.screenshot(OUT / f"{name}.png")
            print(f"{name}.png")
        if not args.names or "banner" in args.names:
            take_banner(browser)
    finally:
        browser.close()


if __name__ == "__main__":
    main()
