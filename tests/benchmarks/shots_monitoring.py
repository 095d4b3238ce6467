"""Screenshots of the monitoring screens, from a running demo.

    python3 tests/harness.py demo --port 8469 --simulator-port 9165 &
    python3 tests/benchmarks/shots_monitoring.py --url http://127.0.0.1:8469

Sends the demo shop's weekly digest (*Send Digest Now*), renders the e-mail it
queued and the Shopify overview in headless Chromium (over its DevTools
protocol, with ``websocket-client``) and saves them as
``synco_shopify/static/description/digest.png`` and ``overview.png``.  The
project's screenshot tool (issue 14) can take these over as two more shots.
"""

import argparse
import base64
import contextlib
import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket

REPO = Path(__file__).resolve().parent.parent.parent
OUT = REPO / "synco_shopify" / "static" / "description"


def rpc(url, service, method, *args):
    request = urllib.request.Request(
        f"{url}/jsonrpc",
        data=json.dumps(
            {
                "jsonrpc": "2.0",
                "method": "call",
                "params": {"service": service, "method": method, "args": args},
            }
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        body = json.load(response)
    if "error" in body:
        raise RuntimeError(body["error"]["data"].get("message", body["error"]))
    return body["result"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Browser:
    def __init__(self, width, height):
        self.profile = tempfile.mkdtemp(prefix="synco-mon-shots-")
        port = free_port()
        chromium = shutil.which("chromium") or shutil.which("google-chrome")
        self.process = subprocess.Popen(
            [
                chromium,
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--remote-allow-origins=*",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _i in range(100):
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as r:
                    pages = [p for p in json.load(r) if p["type"] == "page"]
                if pages:
                    break
            time.sleep(0.1)
        self.ws = websocket.create_connection(pages[0]["webSocketDebuggerUrl"])
        self.next_id = 0

    def send(self, method, **params):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params}
        self.ws.send(json.dumps(message))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                return message.get("result", {})

    def wait_for(self, selector, timeout=60):
        for _i in range(timeout * 10):
            found = self.send(
                "Runtime.evaluate",
                expression=f"!!document.querySelector({json.dumps(selector)})",
                returnByValue=True,
            )
            if found.get("result", {}).get("value"):
                time.sleep(1)  # fonts, images
                return
            time.sleep(0.1)
        raise RuntimeError(f"{selector} never showed")

    def shot(self, url, selector, path):
        self.send("Page.enable")
        self.send("Page.navigate", url=url)
        self.wait_for(selector)
        data = self.send("Page.captureScreenshot", format="png")["data"]
        path.write_bytes(base64.b64decode(data))
        print(f"saved {path.relative_to(REPO)}")

    def close(self):
        self.ws.close()
        self.process.terminate()
        self.process.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8469")
    parser.add_argument("--db", default="synco_demo")
    args = parser.parse_args()
    uid = rpc(args.url, "common", "login", args.db, "admin", "admin")

    def call(model, method, *params, **kw):
        return rpc(
            args.url,
            "object",
            "execute_kw",
            args.db,
            uid,
            "admin",
            model,
            method,
            list(params),
            kw,
        )

    shop = call(
        "ir.model.data",
        "search_read",
        [("module", "=", "synco_shopify"), ("name", "=", "demo_shop")],
        ["res_id"],
    )[0]["res_id"]
    action = call("shopify.shop", "action_send_digest_now", [shop])
    digest = call("shopify.digest", "read", [action["res_id"]], ["mail_id"])[0]
    if not digest["mail_id"]:
        raise SystemExit("the demo shop has no digest recipients")
    body = call("mail.mail", "read", [digest["mail_id"][0]], ["body_html"])[0]
    with tempfile.NamedTemporaryFile("w", suffix=".html", delete=False) as html:
        html.write(
            "<html><body style='margin:24px;background:#fff'>"
            + body["body_html"]
            + "</body></html>"
        )
    browser = Browser(900, 1250)
    try:
        browser.shot(f"file://{html.name}", "table", OUT / "digest.png")
    finally:
        browser.close()
    # the overview, logged in as admin
    session = urllib.request.Request(
        f"{args.url}/web/session/authenticate",
        data=json.dumps(
            {
                "jsonrpc": "2.0",
                "params": {"db": args.db, "login": "admin", "password": "admin"},
            }
        ).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(session) as response:
        cookie = response.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    browser = Browser(1400, 800)
    try:
        browser.send(
            "Network.setCookie",
            name="session_id",
            value=cookie,
            url=args.url,
        )
        browser.shot(
            f"{args.url}/odoo/action-synco_shopify.shopify_overview_action",
            ".o_kanban_record .badge",
            OUT / "overview.png",
        )
    finally:
        browser.close()


if __name__ == "__main__":
    main()
