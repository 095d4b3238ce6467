"""HTTP front end: Shopify's GraphQL endpoint plus the ``/_sim/`` control API.

``POST /admin/api/<version>/graphql.json`` behaves like Shopify: unknown
versions answer 404, a missing/unknown ``X-Shopify-Access-Token`` 401, and the
shop is the one owning the token (tokens are unique), so several shops can
share one simulator whatever Host the client uses.  Faults apply only here.

Control API (JSON in, JSON out; ``shop`` defaults to the only shop):

==========================================  =====================================
``POST /_sim/reset`` ``{fixture?}``           wipe state (then load a fixture)
``POST /_sim/fixture`` ``{name}``             load a fixture into current state
``GET|POST|DELETE /_sim/faults``              read / merge / clear faults
``POST /_sim/bucket``                         ``{maximum?, restore_rate?, shop?}``
``POST /_sim/orders``                         ``{shop?, lines:[[sku,qty]],
                                              shipping_address?, location?, email?}``
``POST /_sim/orders/<id>/cancel``             cancel with restock
``POST /_sim/levels``                         ``{shop?, sku, location, available}``
``GET /_sim/levels?shop=``                    ``[{sku, location, available, ...}]``
``POST /_sim/products``                       ``{shop?, title, skus, stock?}``
``POST /_sim/seed``                           ``{shop?, n_variants, locations?}``
``GET|DELETE /_sim/log``                      request log / clear it
``GET /_sim/deliveries``                      webhook deliveries
``POST /_sim/webhooks``                       ``{retry_schedule?, timeout?}``
``GET /_sim/shops``                           shops with tokens and secrets
``GET /_sim/bulk/<id>.jsonl``                 bulk operation result
``POST /_sim/save``                           write ``--state-file`` now
==========================================  =====================================
"""

import contextlib
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from .simulator import SUPPORTED_VERSIONS

GRAPHQL_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
INVALID_TOKEN = ("[API] Invalid API key or access token (unrecognized login or "
                 "wrong password)")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sim = None  # set on the subclass built by ``serve``

    def log_message(self, *_args):
        """Silence the default stderr access log (the sim keeps its own)."""

    # -- plumbing ---------------------------------------------------------------------

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _json_body(self):
        raw = self._body()
        return json.loads(raw) if raw else {}

    def _send(self, status, payload, headers=None, content_type="application/json"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _drop(self):
        """Close the socket without any answer (a lost response)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def _dispatch(self, method):
        url = urlparse(self.path)
        match = GRAPHQL_PATH.match(url.path)
        try:
            if match and method == "POST":
                self._graphql(match.group(1))
            elif url.path.startswith("/_sim/"):
                self._control(method, url.path[len("/_sim/"):], parse_qs(url.query))
            else:
                self._send(404, {"errors": "Not Found"})
        except (KeyError, ValueError, TypeError) as error:
            self._send(400, {"error": f"{type(error).__name__}: {error}"})

    # -- GraphQL ---------------------------------------------------------------------

    def _graphql(self, version):
        sim = self.sim
        started = time.time()
        raw = self._body()
        if version not in SUPPORTED_VERSIONS:
            self._send(404, {"errors": "Not Found"})
            return
        shop = sim.store.shop_for_token(self.headers.get("X-Shopify-Access-Token"))
        if shop is None:
            sim.record(shop=None, version=version, http_status=401, fault=None,
                       mutation=False, root_fields=[], throttled=False)
            self._send(401, {"errors": INVALID_TOKEN})
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            sim.record(shop=shop.domain, version=version, http_status=400,
                       fault=None, mutation=None, root_fields=[], throttled=False)
            self._send(400, {"errors": "Invalid JSON in request body"})
            return
        entry, request = sim.prepare(shop, version, body)
        delay = sim.latency()
        if delay:
            time.sleep(delay)
        fault = sim.draw_fault()
        entry.update(fault=fault, time=started)
        if fault == "429":
            sim.record(**entry, http_status=429)
            self._send(429, {"errors": "Exceeded 2 calls per second for api client. "
                                       "Reduce request rates to resume "
                                       "uninterrupted service."},
                       headers={"Retry-After": f"{sim.faults['retry_after']:.1f}"})
            return
        if fault and fault.isdigit():
            sim.record(**entry, http_status=int(fault))
            self._send(int(fault), {"errors": "Internal Server Error"})
            return
        if fault == "drop":
            sim.record(**entry, http_status=None)
            self._drop()
            return
        payload = request if isinstance(request, dict) else sim.run(
            shop, version, request, entry)
        entry["duration"] = time.time() - started
        if fault == "drop_after_apply":
            sim.record(**entry, http_status=None)
            self._drop()
            return
        sim.record(**entry, http_status=200)
        self._send(200, payload)

    # -- control API -------------------------------------------------------------------

    def _control(self, method, path, query):
        sim = self.sim
        if method == "GET" and path.startswith("bulk/") and path.endswith(".jsonl"):
            jsonl = sim.bulk_result(int(path[len("bulk/"):-len(".jsonl")]))
            if jsonl is None:
                self._send(404, {"errors": "Not Found"})
            else:
                self._send(200, jsonl.encode(), content_type="application/jsonl")
            return
        body = self._json_body() if method == "POST" else {}
        shop = body.pop("shop", None) or (query.get("shop") or [None])[0]
        with sim.lock:
            result = self._control_locked(method, path, body, shop)
        if result is None:
            self._send(404, {"error": f"unknown control endpoint {method} {path}"})
        else:
            self._send(200, result)

    def _control_locked(self, method, path, body, shop):
        sim = self.sim
        order_cancel = re.match(r"^orders/(.+)/cancel$", path)
        if method == "POST" and path == "reset":
            sim.reset(body.get("fixture"))
            return {"ok": True}
        if method == "POST" and path == "fixture":
            sim.load_fixture(body["name"])
            return {"ok": True}
        if path == "faults":
            if method == "POST":
                return sim.set_faults(**body)
            if method == "DELETE":
                sim.clear_faults()
            return sim.faults
        if method == "POST" and path == "bucket":
            sim.set_bucket(body.get("maximum"), body.get("restore_rate"), shop)
            return {"maximum": sim.bucket_size, "restore_rate": sim.restore_rate}
        if method == "POST" and path == "orders":
            order = sim.create_order(
                shop, [tuple(line) for line in body.pop("lines")], **body)
            return {"id": order.id, "number": order.number, "name": order.name}
        if method == "POST" and order_cancel:
            order = sim.cancel_order(order_cancel.group(1), **body)
            return {"id": order.id, "cancelled": True}
        if path == "levels" and method == "POST":
            return sim.set_available(shop, body["sku"], body["location"],
                                     body["available"])
        if path == "levels" and method == "GET":
            return [dict(sku=sku, location=location, **values)
                    for (sku, location), values in sorted(sim.levels(shop).items())]
        if method == "POST" and path == "products":
            product = sim.add_product(shop, body["title"], body["skus"],
                                      stock=body.get("stock"))
            return {"id": product.id}
        if method == "POST" and path == "seed":
            skus = sim.seed_catalogue(shop, body["n_variants"], body.get("locations"))
            return {"count": len(skus)}
        if path == "log":
            if method == "DELETE":
                sim.clear_log()
            return sim.log
        if method == "GET" and path == "deliveries":
            return [{k: v for k, v in d.items() if k != "headers"}
                    for d in sim.deliveries()]
        if method == "POST" and path == "webhooks":
            sim.set_webhook_retry(body.get("retry_schedule"), body.get("timeout"))
            return {"retry_schedule": sim.webhooks.retry_schedule,
                    "timeout": sim.webhooks.timeout}
        if method == "GET" and path == "shops":
            return [{"domain": s.domain, "name": s.name, "token": s.token,
                     "webhook_secret": s.webhook_secret, "currency": s.currency,
                     "timezone": s.timezone} for s in sim.store.shops.values()]
        if method == "POST" and path == "save":
            sim.save()
            return {"ok": True}
        return None


def serve(sim, host, port):
    """Start a ThreadingHTTPServer for ``sim`` in a daemon thread."""
    handler = type("SimHandler", (Handler,), {"sim": sim})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sim-http",
                     daemon=True).start()
    return server
