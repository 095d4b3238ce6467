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
``POST /_sim/outage`` ``{minutes, kind?}``    every call 503 (or ``refused``)
                                              for N minutes; 0 ends it
``POST /_sim/bucket``                         ``{maximum?, restore_rate?, shop?}``
``POST /_sim/orders``                         ``{shop?, lines:[[sku,qty]],
                                              shipping_address?, location?, email?}``
``POST /_sim/orders/<id>/cancel``             cancel with restock
``POST /_sim/levels``                         ``{shop?, sku, location, available}``
``GET /_sim/levels?shop=``                    ``[{sku, location, available, ...}]``
``POST /_sim/products``                       ``{shop?, title, skus, stock?}``
``POST /_sim/seed``                           ``{shop?, n_variants, locations?}``
``GET|DELETE /_sim/log?since=N``              request log (from entry N) / clear
``GET /_sim/deliveries``                      webhook deliveries
``POST /_sim/webhooks``                       ``{retry_schedule?, timeout?}``
``GET /_sim/shops``                           shops with tokens and secrets
``GET /_sim/bulk/<id>.jsonl``                 bulk operation result
``POST /_sim/staged-uploads``                 a staged upload (multipart form,
                                              as to Shopify's storage)
``POST /_sim/save``                           write ``--state-file`` now
``POST /_sim/token-ttls``                     ``{client_credentials?, offline?,
                                              refresh?}`` token lifetimes (s)
``POST /_sim/uninstall`` / ``install``        the merchant removes / adds the app
``GET /_sim/oauth``                           tokens issued per shop and grant
==========================================  =====================================

OAuth (``oauth.py``): ``POST /admin/oauth/access_token`` and
``GET /admin/oauth/authorize`` as on a shop's domain.

==========================================  =====================================
==========================================  =====================================
"""

import contextlib
import json
import re
import socket
import threading
import time
import uuid
from email import policy as email_policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

from .graphql_api import SUPPORTED_VERSIONS

TOKEN_PATH = "/admin/oauth/access_token"
AUTHORIZE_PATH = "/admin/oauth/authorize"
GRAPHQL_PATH = re.compile(r"^/admin/api/([^/]+)/graphql\.json$")
INVALID_TOKEN = (
    "[API] Invalid API key or access token (unrecognized login or wrong password)"
)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # headers and body go out in separate writes: with Nagle's algorithm and
    # the client's delayed ACK, every kept-alive request would wait ~40 ms
    disable_nagle_algorithm = True
    sim = None  # set on the subclass built by ``serve``
    raw = b""  # request body, read by ``_dispatch``

    def log_message(self, *_args):
        """Silence the default stderr access log (the sim keeps its own)."""

    # -- plumbing ---------------------------------------------------------------------

    def _json_body(self):
        return json.loads(self.raw) if self.raw else {}

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
        # read the whole body first so a keep-alive connection stays in sync
        length = int(self.headers.get("Content-Length") or 0)
        self.raw = self.rfile.read(length) if length else b""
        url = urlparse(self.path)
        match = GRAPHQL_PATH.match(url.path)
        try:
            if match and method == "POST":
                self._graphql(match.group(1))
            elif url.path == TOKEN_PATH and method == "POST":
                status, payload = self.sim.token_request(
                    self.sim.parse_token_body(
                        self.raw, self.headers.get("Content-Type")
                    ),
                    host=(self.headers.get("Host") or "").split(":")[0],
                )
                self._send(status, payload)
            elif url.path == AUTHORIZE_PATH and method == "GET":
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                status, where = self.sim.authorize(query)
                if status == 302:
                    self._send(302, b"", headers={"Location": where})
                else:
                    self._send(status, where.encode(), content_type="text/plain")
            elif url.path.startswith("/_sim/"):
                self._control(method, url.path[len("/_sim/") :], parse_qs(url.query))
            else:
                self._send(404, {"errors": "Not Found"})
        except (KeyError, ValueError, TypeError) as error:
            self._send(400, {"error": f"{type(error).__name__}: {error}"})

    # -- GraphQL ---------------------------------------------------------------------

    def _graphql(self, version):
        sim = self.sim
        started = time.time()
        if version not in SUPPORTED_VERSIONS:
            self._send(404, {"errors": "Not Found"})
            return
        shop = sim.shop_for_access_token(self.headers.get("X-Shopify-Access-Token"))
        if shop is None:
            sim.record(
                shop=None,
                version=version,
                http_status=401,
                fault=None,
                mutation=False,
                root_fields=[],
                throttled=False,
            )
            self._send(401, {"errors": INVALID_TOKEN})
            return
        try:
            body = json.loads(self.raw or b"{}")
        except ValueError:
            sim.record(
                shop=shop.domain,
                version=version,
                http_status=400,
                fault=None,
                mutation=None,
                root_fields=[],
                throttled=False,
            )
            self._send(400, {"errors": "Invalid JSON in request body"})
            return
        entry, request = sim.prepare(shop, version, body)
        entry["time"] = started
        with sim.in_flight(shop, entry["idempotency_key"]) as concurrent:
            status, payload, headers = self._faulted_or_run(
                shop, version, request, entry, concurrent
            )
        # answered only now, after the request has left the in-flight set
        if status is None:
            self._drop()
        else:
            self._send(status, payload, headers=headers)

    def _faulted_or_run(self, shop, version, request, entry, concurrent):
        """Apply faults or run: -> (status or None to drop, payload, headers)."""
        sim = self.sim
        delay = sim.latency()
        if delay:
            time.sleep(delay)
        fault = entry["fault"] = sim.draw_fault()
        if fault == "429":
            sim.record(**entry, http_status=429)
            return (
                429,
                {
                    "errors": "Exceeded 2 calls per second for api client. "
                    "Reduce request rates to resume uninterrupted "
                    "service."
                },
                {"Retry-After": f"{sim.faults['retry_after']:.1f}"},
            )
        if fault and fault.isdigit():
            sim.record(**entry, http_status=int(fault))
            return int(fault), {"errors": "Internal Server Error"}, {}
        if fault == "drop":
            sim.record(**entry, http_status=None)
            return None, None, None
        payload = (
            request
            if isinstance(request, dict)
            else sim.run(shop, version, request, entry, concurrent)
        )
        entry["duration"] = time.time() - entry["time"]
        if fault == "drop_after_apply":
            sim.record(**entry, http_status=None)
            return None, None, None
        sim.record(**entry, http_status=200)
        return (
            200,
            payload,
            {"X-Request-Id": str(uuid.uuid4()), "X-Shopify-API-Version": version},
        )

    def _multipart_form(self):
        """(text fields, bytes of the ``file`` field) of a multipart POST."""
        message = BytesParser(policy=email_policy.HTTP).parsebytes(
            b"Content-Type: "
            + (self.headers.get("Content-Type") or "").encode()
            + b"\r\n\r\n"
            + self.raw
        )
        form, data = {}, None
        if not message.is_multipart():
            return form, data
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if name == "file":
                data = payload
            elif name:
                form[name] = payload.decode("utf-8", "replace")
        return form, data

    # -- control API -------------------------------------------------------------------

    def _control(self, method, path, query):
        sim = self.sim
        if method == "GET" and path.startswith("bulk/") and path.endswith(".jsonl"):
            jsonl = sim.bulk_result(int(path[len("bulk/") : -len(".jsonl")]))
            if jsonl is None:
                self._send(404, {"errors": "Not Found"})
            else:
                if isinstance(jsonl, str):  # a store pickled before: text
                    jsonl = jsonl.encode()
                self._send(200, jsonl, content_type="application/jsonl")
            return
        if method == "POST" and path == "staged-uploads":
            status, message = sim.receive_staged_upload(*self._multipart_form())
            self._send(status, message.encode(), content_type="text/plain")
            return
        body = (
            self._json_body()
            if method == "POST"
            else {name: values[0] for name, values in query.items()}
        )
        shop = body.pop("shop", None)
        for verb, pattern, action in CONTROL_ROUTES:
            match = re.fullmatch(pattern, path)
            if verb == method and match:
                with sim.lock:
                    result = action(sim, body, shop, *match.groups())
                self._send(200, result)
                return
        self._send(404, {"error": f"unknown control endpoint {method} {path}"})


def _ok(_result=None):
    return {"ok": True}


def _create_order(sim, body, shop):
    order = sim.create_order(shop, [tuple(line) for line in body.pop("lines")], **body)
    return {"id": order.id, "number": order.number, "name": order.name}


def _cancel_order(sim, body, _shop, order_id):
    return {"id": sim.cancel_order(order_id, **body).id, "cancelled": True}


def _read_levels(sim, _body, shop):
    return [
        dict(sku=sku, location=location, **values)
        for (sku, location), values in sorted(sim.levels(shop).items())
    ]


def _set_bucket(sim, body, shop):
    sim.set_bucket(body.get("maximum"), body.get("restore_rate"), shop)
    return {"maximum": sim.bucket_size, "restore_rate": sim.restore_rate}


def _set_webhooks(sim, body, _shop):
    sim.set_webhook_retry(body.get("retry_schedule"), body.get("timeout"))
    return {
        "retry_schedule": sim.webhooks.retry_schedule,
        "timeout": sim.webhooks.timeout,
    }


def _deliveries(sim, _body, _shop):
    return [{k: v for k, v in d.items() if k != "headers"} for d in sim.deliveries()]


def _shops(sim, _body, _shop):
    return [
        {
            "domain": s.domain,
            "name": s.name,
            "token": s.token,
            "webhook_secret": s.webhook_secret,
            "client_id": sim.client_id(s),
            "client_secret": sim.client_secret(s),
            "currency": s.currency,
            "timezone": s.timezone,
        }
        for s in sim.store.shops.values()
    ]


CONTROL_ROUTES = [
    ("POST", "reset", lambda sim, body, _s: _ok(sim.reset(body.get("fixture")))),
    ("POST", "fixture", lambda sim, body, _s: _ok(sim.load_fixture(body["name"]))),
    ("GET", "faults", lambda sim, _b, _s: sim.faults),
    ("POST", "faults", lambda sim, body, _s: sim.set_faults(**body)),
    ("DELETE", "faults", lambda sim, _b, _s: sim.clear_faults() or sim.faults),
    (
        "POST",
        "outage",
        lambda sim, body, _s: sim.start_outage(
            body["minutes"], body.get("kind", "503")
        ),
    ),
    ("POST", "bucket", _set_bucket),
    ("POST", "orders", _create_order),
    ("POST", r"orders/(.+)/cancel", _cancel_order),
    ("GET", "levels", _read_levels),
    (
        "POST",
        "levels",
        lambda sim, body, shop: sim.set_available(
            shop, body["sku"], body["location"], body["available"]
        ),
    ),
    (
        "POST",
        "products",
        lambda sim, body, shop: {
            "id": sim.add_product(
                shop, body["title"], body["skus"], stock=body.get("stock")
            ).id
        },
    ),
    (
        "POST",
        "seed",
        lambda sim, body, shop: {
            "count": len(
                sim.seed_catalogue(shop, body["n_variants"], body.get("locations"))
            )
        },
    ),
    ("GET", "log", lambda sim, body, _s: sim.log[int(body.get("since", 0)) :]),
    ("DELETE", "log", lambda sim, _b, _s: sim.clear_log() or sim.log),
    ("GET", "deliveries", _deliveries),
    ("POST", "webhooks", _set_webhooks),
    ("GET", "shops", _shops),
    ("POST", "save", lambda sim, _b, _s: _ok(sim.save())),
    ("POST", "token-ttls", lambda sim, body, _s: sim.set_token_ttls(**body)),
    ("POST", "uninstall", lambda sim, _b, shop: sim.uninstall(shop)),
    ("POST", "install", lambda sim, _b, shop: sim.install(shop)),
    ("GET", "oauth", lambda sim, _b, _s: sim.oauth_stats()),
]


def serve(sim, host, port):
    """Start a ThreadingHTTPServer for ``sim`` in a daemon thread."""
    handler = type("SimHandler", (Handler,), {"sim": sim})
    server = ThreadingHTTPServer((host, port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="sim-http", daemon=True).start()
    return server
