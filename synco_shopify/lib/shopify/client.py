"""Shopify Admin GraphQL client: the one place where the addon talks HTTP.

Plain Python (``requests`` + stdlib); models reach it through an adapter and
the job layer maps :class:`~.errors.ShopifyRetryableError` to queue_job's
``RetryableJobError``.  What it adds to a bare POST:

* cost-aware throttling shared by every worker of the host
  (:mod:`.throttle`), plus reactive handling of ``THROTTLED`` and HTTP 429;
* retries with backoff for transient failures; a retried request is sent
  byte for byte again, so the ``@idempotent`` key of a mutation is reused and
  a write that Shopify applied before the connection dropped is not applied
  twice;
* compare-and-set inventory writes (``changeFromQuantity``) in calls of at
  most 250 quantities, with a re-read-and-recompute path for
  ``CHANGE_FROM_QUANTITY_STALE`` that never overwrites a concurrent change;
* pagination, SKU look-up, level reads (batched, or through a bulk operation
  for big catalogues), webhooks subscriptions and the order feed.
"""

import ast
import contextlib
import dataclasses
import datetime
import json
import logging
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from . import documents as docs
from .errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyPermanentError,
    ShopifyQueryError,
    ShopifyRetryableError,
    ShopifyThrottledError,
    ShopifyUserErrors,
    UserError,
)
from .fulfillments import FulfillmentMixin
from .throttle import CostThrottle

_logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "2026-07"
#: 2026-04 made @idempotent and changeFromQuantity mandatory; the documents
#: rely on both, so older versions are refused rather than half-working.
MIN_API_VERSION = "2026-04"
MAX_QUANTITIES_PER_CALL = 250
# polls of a bulk operation slow down to this many seconds apart: a poll costs
# one point, a poll too late costs the wait (half the interval on average)
MAX_POLL_INTERVAL = 3.0
FALLBACK_ADDON_VERSION = "19.0.1.0.0"

GID_KINDS = {"InventoryItem", "Location", "ProductVariant", "Order"}

# GraphQL error codes (errors[].extensions.code)
RETRYABLE_GRAPHQL_CODES = {
    "THROTTLED",
    "INTERNAL_SERVER_ERROR",
    "SERVICE_UNAVAILABLE",
    "TIMEOUT",
}
AUTH_GRAPHQL_CODES = {"ACCESS_DENIED", "UNAUTHORIZED", "FORBIDDEN"}

# inventorySetQuantities userError codes
STALE = "CHANGE_FROM_QUANTITY_STALE"
NOT_STOCKED = "ITEM_NOT_STOCKED_AT_LOCATION"
IDEMPOTENCY_CONCURRENT = "IDEMPOTENCY_CONCURRENT_REQUEST"
IDEMPOTENCY_PREVIOUS_FAILED = "IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"
# a bulk line refused with these is sent again, unchanged, by the per-call path
RESEND_CODES = {IDEMPOTENCY_CONCURRENT, IDEMPOTENCY_PREVIOUS_FAILED}
# bulkOperationRunMutation userError codes: Shopify runs enough already
BULK_BUSY_CODES = {"OPERATION_IN_PROGRESS", "LIMIT_REACHED"}


def _read_addon_version():
    """Version from ``synco_shopify/__manifest__.py`` (single source of truth)."""
    manifest = Path(__file__).resolve().parents[2] / "__manifest__.py"
    try:
        return ast.literal_eval(manifest.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):
        return FALLBACK_ADDON_VERSION


ADDON_VERSION = _read_addon_version()
USER_AGENT = f"synco_shopify/{ADDON_VERSION}"


def check_api_version(version):
    """Return ``version`` if it is a ``YYYY-MM`` release >= 2026-04."""
    if not isinstance(version, str) or not re.fullmatch(
        r"\d{4}-(0[1-9]|1[0-2])", version
    ):
        raise ValueError(
            f"Shopify API version {version!r} is not a YYYY-MM release version"
        )
    if version < MIN_API_VERSION:
        raise ValueError(
            f"Shopify API version {version} is not supported: inventory writes "
            f"need {MIN_API_VERSION} or later (@idempotent, changeFromQuantity)"
        )
    return version


def to_gid(kind, value):
    """``gid://shopify/<kind>/<id>`` from a gid, a numeric id or its string."""
    text = str(value)
    if text.startswith("gid://"):
        return text
    if not text.isdigit():
        raise ValueError(f"not a Shopify {kind} id: {value!r}")
    return f"gid://shopify/{kind}/{text}"


def search_quote(value):
    """Quote a value for Shopify's search syntax (``sku:"A \\"B\\""``)."""
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _chunks(seq, size):
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def _available_of(quantities):
    for quantity in quantities or ():
        if quantity.get("name") == "available":
            return quantity.get("quantity")
    return None


@dataclass(frozen=True)
class QuantityChange:
    """Set ``available`` of an item at a location, compare-and-set style.

    ``change_from`` is the quantity the caller believes Shopify holds now;
    Shopify refuses the write if it holds something else.  ``None`` sends an
    explicit ``changeFromQuantity: null`` (no check) -- for a first push, not
    for routine sync.
    """

    inventory_item_id: str
    location_id: str
    quantity: int
    change_from: int | None


class Outcome:
    """Status values of :class:`ItemOutcome`."""

    APPLIED = "applied"
    STALE_RESOLVED = "stale_resolved"  # applied after a re-read/recompute
    DROPPED = "dropped"  # on_stale returned None
    NOT_STOCKED = "not_stocked"  # ITEM_NOT_STOCKED_AT_LOCATION
    FAILED = "failed"


@dataclass
class ItemOutcome:
    """What happened to one :class:`QuantityChange` of a ``set_available``."""

    index: int  # position in the list passed to set_available
    change: QuantityChange  # as passed by the caller
    status: str
    quantity: int | None = None  # quantity last sent (set when applied)
    change_from: int | None = None  # changeFromQuantity last sent
    current: int | None = None  # Shopify's value read after a stale answer
    code: str | None = None
    message: str | None = None

    @property
    def ok(self):
        return self.status in (Outcome.APPLIED, Outcome.STALE_RESOLVED)


@dataclass
class SetQuantitiesResult:
    """Per-item outcomes (in input order) and what the writes cost."""

    outcomes: list = field(default_factory=list)
    calls: int = 0
    requested_cost: float = 0.0
    actual_cost: float = 0.0
    stale_rounds: int = 0
    bulk_operations: int = 0  # bulkOperationRunMutation runs started
    bulk_lines: int = 0  # quantities answered by a bulk operation's file
    bulk_retried: int = 0  # quantities sent again through the per-call path

    def _with(self, *statuses):
        return [o for o in self.outcomes if o.status in statuses]

    @property
    def applied(self):
        return self._with(Outcome.APPLIED, Outcome.STALE_RESOLVED)

    @property
    def stale_resolved(self):
        return self._with(Outcome.STALE_RESOLVED)

    @property
    def dropped(self):
        return self._with(Outcome.DROPPED)

    @property
    def not_stocked(self):
        return self._with(Outcome.NOT_STOCKED)

    @property
    def failed(self):
        return self._with(Outcome.FAILED)

    @property
    def ok(self):
        return all(o.ok or o.status == Outcome.DROPPED for o in self.outcomes)


@dataclass
class ClientStats:
    """Counters over the life of a client (benchmarks, logs, results)."""

    calls: int = 0  # HTTP requests sent (retries included)
    requested_cost: float = 0.0
    actual_cost: float = 0.0
    throttled: int = 0  # THROTTLED / 429 answers received
    retries: int = 0
    by_operation: dict = field(default_factory=dict)
    # seconds spent waiting on Shopify, each counted once: "http" (round
    # trips of API calls), "throttle" (for the bucket), "sleep" (before a
    # retry), "bulk query" / "bulk mutation" (polls of a bulk operation and
    # the sleeps between them, until it ended)
    waited: dict = field(default_factory=dict)

    def add_wait(self, kind, seconds):
        self.waited[kind] = self.waited.get(kind, 0.0) + seconds

    @property
    def seconds_waited(self):
        """Every second this client spent waiting on Shopify."""
        return sum(self.waited.values())


@dataclass
class Response:
    data: dict
    extensions: dict
    headers: dict
    operation: str

    @property
    def cost(self):
        return self.extensions.get("cost") or {}


@dataclass
class _Pending:
    """A quantity on its way through set_available's rounds."""

    index: int
    change: QuantityChange
    quantity: int
    change_from: int | None
    stale: bool = False
    current: int | None = None


class ShopifyClient(FulfillmentMixin):
    """Client of one shop's Admin GraphQL API.

    :param shop_domain: ``my-shop.myshopify.com``; keys the shared throttle.
    :param access_token: sent as ``X-Shopify-Access-Token``.
    :param api_version: ``YYYY-MM``, 2026-04 or later.
    :param base_url: replaces ``https://{shop_domain}`` (simulator, proxies).
    :param timeout: ``(connect, read)`` seconds for every request.
    :param session: a ``requests.Session`` (or compatible) to reuse.
    :param throttle: a :class:`~.throttle.CostThrottle`; by default one over
        the file store, shared by the processes of this host.
    :param max_retries: retries of a retryable failure before it is raised.
    :param user_agent: defaults to ``synco_shopify/<addon version>``.
    """

    def __init__(
        self,
        shop_domain,
        access_token,
        api_version=DEFAULT_API_VERSION,
        *,
        base_url=None,
        timeout=(5, 30),
        session=None,
        throttle=None,
        max_retries=5,
        user_agent=None,
        backoff_base=0.5,
        backoff_max=30.0,
        page_size=100,
    ):
        if not shop_domain:
            raise ValueError("shop_domain is required")
        if not access_token:
            raise ValueError("access_token is required")
        self.shop_domain = shop_domain.strip().lower()
        self.access_token = access_token
        self.api_version = check_api_version(api_version)
        self.base_url = (base_url or f"https://{self.shop_domain}").rstrip("/")
        self.endpoint = f"{self.base_url}/admin/api/{self.api_version}/graphql.json"
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()
        self.throttle = throttle if throttle is not None else CostThrottle()
        self.max_retries = max_retries
        self.user_agent = user_agent or USER_AGENT
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.page_size = page_size
        self.stats = ClientStats()
        self.sleep = time.sleep
        self._waiting = None  # see _waiting_for

    def __repr__(self):
        return f"<ShopifyClient {self.shop_domain} {self.api_version}>"

    def close(self):
        self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------------
    # transport
    # ------------------------------------------------------------------

    def _headers(self):
        return {
            "X-Shopify-Access-Token": self.access_token,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": self.user_agent,
        }

    def _pause(self, seconds):
        """Sleep, counted as time waited on Shopify."""
        started = time.monotonic()
        self.sleep(seconds)
        self._add_wait("sleep", time.monotonic() - started)

    def _add_wait(self, kind, seconds):
        self.stats.add_wait(self._waiting or kind, seconds)

    @contextlib.contextmanager
    def _waiting_for(self, kind):
        """Count the waits inside as ``kind`` (a bulk operation's polls)."""
        outer, self._waiting = self._waiting, self._waiting or kind
        try:
            yield
        finally:
            self._waiting = outer

    def _backoff(self, attempt):
        delay = min(self.backoff_max, self.backoff_base * (2**attempt))
        return delay * (0.5 + random.random() / 2)

    def execute(self, document, variables=None, *, size=None, retries=None):
        """Send ``document`` with retries; return a :class:`Response`.

        Retryable failures are retried ``max_retries`` times (``retries``
        when given), then raised.  The payload is serialised once, so every
        retry sends the same bytes (and therefore the same idempotency key).
        A mutation without idempotency key passes ``retries=0``: a timeout
        may hide one that landed, so its caller reads before trying again.
        ``size`` is the number of input items, used to scale the throttle's
        cost estimate.
        """
        max_retries = self.max_retries if retries is None else retries
        operation = docs.operation_name(document)
        payload = json.dumps(
            {
                "query": document,
                "operationName": operation,
                "variables": variables or {},
            }
        )
        attempt = 0
        while True:
            try:
                return self._send(operation, payload, size)
            except ShopifyRetryableError as exc:
                if attempt >= max_retries:
                    _logger.warning(
                        "%s %s: giving up after %d retries: %s",
                        self.shop_domain,
                        operation,
                        attempt,
                        exc,
                    )
                    raise
                delay = exc.retry_after
                if delay is None:
                    delay = self._backoff(attempt)
                attempt += 1
                self.stats.retries += 1
                _logger.info(
                    "%s %s: %s; retry %d in %.2fs",
                    self.shop_domain,
                    operation,
                    exc,
                    attempt,
                    delay,
                )
                self._pause(delay)

    def _send(self, operation, payload, size):
        """One HTTP round trip, mapped to a Response or an exception."""
        started = time.monotonic()
        reservation = self.throttle.acquire(self.shop_domain, operation, size)
        sent = time.monotonic()
        self._add_wait("throttle", sent - started)
        self.stats.calls += 1
        per_op = self.stats.by_operation.setdefault(operation, [0, 0.0])
        per_op[0] += 1
        try:
            resp = self.session.post(
                self.endpoint,
                data=payload,
                headers=self._headers(),
                timeout=self.timeout,
            )
        except requests.Timeout as exc:
            self._add_wait("http", time.monotonic() - sent)
            self.throttle.cancel(reservation)
            raise ShopifyRetryableError(
                f"timeout talking to {self.shop_domain}: {exc}", operation=operation
            ) from exc
        except requests.RequestException as exc:
            self._add_wait("http", time.monotonic() - sent)
            self.throttle.cancel(reservation)
            raise ShopifyRetryableError(
                f"network error talking to {self.shop_domain}: {exc}",
                operation=operation,
            ) from exc
        self._add_wait("http", time.monotonic() - sent)

        status = resp.status_code
        if status == 429:
            delay = _retry_after(resp.headers.get("Retry-After"), default=2.0)
            self.throttle.block(reservation, delay)
            self.stats.throttled += 1
            raise ShopifyThrottledError(
                f"HTTP 429 from {self.shop_domain}",
                retry_after=delay,
                status=status,
                operation=operation,
            )
        if status >= 500:
            self.throttle.cancel(reservation)
            raise ShopifyRetryableError(
                f"HTTP {status} from {self.shop_domain}",
                retry_after=_retry_after(resp.headers.get("Retry-After")),
                status=status,
                operation=operation,
            )
        if status in (401, 403):
            self.throttle.cancel(reservation)
            raise ShopifyAuthError(
                f"HTTP {status} from {self.shop_domain}: the access token is "
                f"invalid or lacks a scope ({_short(resp.text)})",
                status=status,
                operation=operation,
            )
        if status >= 400:
            self.throttle.cancel(reservation)
            raise ShopifyPermanentError(
                f"HTTP {status} from {self.shop_domain}: {_short(resp.text)}",
                status=status,
                operation=operation,
            )
        try:
            body = resp.json()
        except ValueError as exc:
            self.throttle.cancel(reservation)
            raise ShopifyRetryableError(
                f"unreadable answer from {self.shop_domain} (HTTP {status})",
                status=status,
                operation=operation,
            ) from exc
        if not isinstance(body, dict):
            self.throttle.cancel(reservation)
            raise ShopifyRetryableError(
                f"unexpected answer from {self.shop_domain}", operation=operation
            )

        extensions = body.get("extensions") or {}
        cost = extensions.get("cost") or {}
        self.throttle.settle(reservation, cost)
        self.stats.requested_cost += cost.get("requestedQueryCost") or 0
        actual = cost.get("actualQueryCost") or 0
        self.stats.actual_cost += actual
        per_op[1] += actual

        errors = body.get("errors")
        if errors:
            self._raise_graphql_errors(errors, cost, operation, status)
        return Response(body.get("data") or {}, extensions, resp.headers, operation)

    def _raise_graphql_errors(self, errors, cost, operation, status):
        if isinstance(errors, (str, dict)):
            errors = [errors]
        errors = [e if isinstance(e, dict) else {"message": str(e)} for e in errors]
        codes = {(e.get("extensions") or {}).get("code") for e in errors}
        message = "; ".join(str(e.get("message")) for e in errors)
        text = f"{operation} on {self.shop_domain}: {message}"
        if "THROTTLED" in codes:
            self.stats.throttled += 1
            bucket = cost.get("throttleStatus") or {}
            requested = cost.get("requestedQueryCost")
            maximum = bucket.get("maximumAvailable")
            if requested and maximum and requested > maximum:
                # waiting cannot help: the bucket never holds that much
                raise ShopifyQueryError(
                    f"{text}: the query costs {requested} points, more than the "
                    f"bucket's {maximum}; use smaller pages",
                    errors=errors,
                    status=status,
                    operation=operation,
                )
            raise ShopifyThrottledError(
                text,
                retry_after=_throttle_delay(cost),
                errors=errors,
                status=status,
                operation=operation,
            )
        if codes & RETRYABLE_GRAPHQL_CODES:
            raise ShopifyRetryableError(
                text, errors=errors, status=status, operation=operation
            )
        if codes & AUTH_GRAPHQL_CODES:
            raise ShopifyAuthError(
                text, errors=errors, status=status, operation=operation
            )
        raise ShopifyQueryError(text, errors=errors, status=status, operation=operation)

    def _paginate(self, document, variables, path, page_size=None):
        """Yield the nodes of the connection at ``path`` page after page."""
        variables = dict(variables or {})
        variables.setdefault("first", page_size or self.page_size)
        after = None
        while True:
            variables["after"] = after
            data = self.execute(document, variables).data
            connection = data
            for key in path:
                connection = (connection or {}).get(key)
            if not connection:
                return
            yield from connection.get("nodes") or ()
            page = connection.get("pageInfo") or {}
            if not page.get("hasNextPage") or not page.get("endCursor"):
                return
            after = page["endCursor"]

    # ------------------------------------------------------------------
    # shop and locations
    # ------------------------------------------------------------------

    def shop_info(self):
        """Identity and API limits of the shop, for "Test connection".

        Returns ``{"name", "myshopify_domain", "currency", "timezone",
        "api_version", "throttle": {"maximum_available", "restore_rate",
        "currently_available"}}``.
        """
        resp = self.execute(docs.SHOP_INFO)
        shop = resp.data.get("shop") or {}
        status = resp.cost.get("throttleStatus") or {}
        return {
            "name": shop.get("name"),
            "myshopify_domain": shop.get("myshopifyDomain"),
            "currency": shop.get("currencyCode"),
            "timezone": shop.get("ianaTimezone"),
            "api_version": resp.headers.get("X-Shopify-API-Version")
            or self.api_version,
            "throttle": {
                "maximum_available": status.get("maximumAvailable"),
                "restore_rate": status.get("restoreRate"),
                "currently_available": status.get("currentlyAvailable"),
            },
        }

    def access_scopes(self):
        """The handles of the scopes granted to the token (``read_inventory``…)."""
        data = self.execute(docs.ACCESS_SCOPES).data
        installation = data.get("currentAppInstallation") or {}
        return sorted(s["handle"] for s in installation.get("accessScopes") or ())

    def iter_locations(self, include_inactive=False, page_size=None):
        """Yield the shop's locations as Shopify returns them.

        Each node: ``id, name, isActive, fulfillsOnlineOrders, address {...}``.
        """
        yield from self._paginate(
            docs.LOCATIONS,
            {"includeInactive": bool(include_inactive)},
            ("locations",),
            page_size,
        )

    # ------------------------------------------------------------------
    # catalogue
    # ------------------------------------------------------------------

    def iter_variants(self, page_size=None):
        """Yield every variant of the shop: ``id, sku, title, product {title},
        inventoryItem {id, tracked}`` (the onboarding's SKU report)."""
        yield from self._paginate(
            docs.VARIANTS_BY_SKU, {"query": ""}, ("productVariants",), page_size
        )

    def find_variants_by_sku(self, skus, *, batch_size=50, max_query_length=4000):
        """Map SKUs to their variant and inventory item.

        Returns ``{sku: {"variant_id", "inventory_item_id", "tracked",
        "product_title", "variant_title"}}``; unknown SKUs are absent.
        SKUs are searched ``batch_size`` at a time (``sku:"A" OR sku:"B"``).
        Shopify's search matches tokens, so only exact SKU equality is kept;
        if a SKU is on several variants the first one wins and a warning is
        logged (Shopify does not enforce unique SKUs).
        """
        wanted = list(dict.fromkeys(s for s in skus if s))
        found = {}
        batch = []
        length = 0
        batches = []
        for sku in wanted:
            term = f"sku:{search_quote(sku)}"
            if batch and (
                len(batch) >= batch_size or length + len(term) + 4 > max_query_length
            ):
                batches.append(batch)
                batch, length = [], 0
            batch.append((sku, term))
            length += len(term) + 4
        if batch:
            batches.append(batch)
        for batch in batches:
            names = {sku for sku, _term in batch}
            query = " OR ".join(term for _sku, term in batch)
            for node in self._paginate(
                docs.VARIANTS_BY_SKU, {"query": query}, ("productVariants",)
            ):
                sku = node.get("sku")
                if sku not in names:
                    continue
                if sku in found:
                    if found[sku]["variant_id"] != node["id"]:
                        _logger.warning(
                            "%s: SKU %r is on several variants (%s, %s)",
                            self.shop_domain,
                            sku,
                            found[sku]["variant_id"],
                            node["id"],
                        )
                    continue
                item = node.get("inventoryItem") or {}
                found[sku] = {
                    "variant_id": node["id"],
                    "inventory_item_id": item.get("id"),
                    "tracked": item.get("tracked"),
                    "product_title": (node.get("product") or {}).get("title"),
                    "variant_title": node.get("title"),
                }
        return found

    # ------------------------------------------------------------------
    # inventory reads
    # ------------------------------------------------------------------

    def read_available(self, item_ids, location_ids):
        """``available`` of each item at each location.

        Returns ``{(item_id, location_id): int | None}`` for every pair asked
        for, ``None`` meaning the item is not stocked there.  Items are read
        in batches so that items x levels stays near 250 per call; an item
        stocked at more locations than one page holds is paged further.
        """
        items = list(dict.fromkeys(to_gid("InventoryItem", i) for i in item_ids))
        locations = list(dict.fromkeys(to_gid("Location", i) for i in location_ids))
        result = {(i, loc): None for i in items for loc in locations}
        if not result:
            return result
        wanted = set(locations)
        levels_first = min(250, max(5, len(locations) + 2))
        # a level costs ~3 points (node, location, quantities): keep the
        # requested cost of a call near 500, half Shopify's single-query cap
        per_call = max(1, min(100, 500 // (3 + 3 * levels_first)))
        for batch in _chunks(items, per_call):
            data = self.execute(
                docs.INVENTORY_LEVELS_BY_ITEM,
                {"ids": batch, "levelsFirst": levels_first},
                size=len(batch),
            ).data
            for node in data.get("nodes") or ():
                if not node or not node.get("id"):
                    continue
                item_id = node["id"]
                levels = node.get("inventoryLevels") or {}
                self._collect_levels(result, item_id, levels, wanted)
                page = levels.get("pageInfo") or {}
                if page.get("hasNextPage"):
                    missing = [
                        loc for loc in locations if result[(item_id, loc)] is None
                    ]
                    if missing:
                        self._page_item_levels(result, item_id, page, wanted)
        return result

    @staticmethod
    def _collect_levels(result, item_id, levels, wanted):
        for level in levels.get("nodes") or ():
            location_id = (level.get("location") or {}).get("id")
            if location_id in wanted:
                result[(item_id, location_id)] = _available_of(level.get("quantities"))

    def _page_item_levels(self, result, item_id, page, wanted):
        after = page.get("endCursor")
        while after:
            data = self.execute(
                docs.INVENTORY_ITEM_LEVELS,
                {"id": item_id, "first": 100, "after": after},
            ).data
            levels = (data.get("inventoryItem") or {}).get("inventoryLevels") or {}
            self._collect_levels(result, item_id, levels, wanted)
            page = levels.get("pageInfo") or {}
            after = page.get("endCursor") if page.get("hasNextPage") else None

    def read_all_levels(self, location_ids=None, **options):
        """Every ``available`` level of the shop (or of ``location_ids``).

        Returns ``{(inventory_item_id, location_id): available}`` for stocked
        pairs only: :meth:`iter_all_levels` gathered in a dict (for a whole
        catalogue, iterate instead: a million levels make a big dict).
        """
        return {
            (item_id, location_id): available
            for item_id, location_id, available in self.iter_all_levels(
                location_ids, **options
            )
        }

    def iter_all_levels(self, location_ids=None, **options):
        """Yield ``(inventory_item_id, location_id, available)`` for every
        stocked level of the shop (or of ``location_ids``), as it is read.

        :meth:`start_levels_read` then its levels, at once (the options are
        its own).
        """
        yield from self.start_levels_read(location_ids, **options)

    def start_levels_read(
        self,
        location_ids=None,
        *,
        bulk_threshold=2000,
        method="auto",
        poll_interval=1.0,
        bulk_timeout=3600.0,
    ):
        """Start reading every stocked level; return a :class:`LevelsRead`.

        ``method="auto"`` counts the variants first and starts a bulk
        operation from ``bulk_threshold`` variants on (one query, no
        pagination cost; Shopify prepares a JSONL file, streamed line by
        line), the paginated reads below it.  Both paths yield the same
        levels.  A bulk operation already running for the app falls back to
        the paginated path, since Shopify runs one bulk query per shop and
        app at a time.

        The bulk operation runs on Shopify's side while the caller does
        something else (a reconciliation computes Odoo's figures); iterating
        the returned object waits for it, then yields ``(inventory_item_id,
        location_id, available)`` as the file streams.  The paginated path
        reads when iterated.
        """
        if method not in ("auto", "bulk", "paginated"):
            raise ValueError(f"unknown method {method!r}")
        wanted = None
        if location_ids is not None:
            wanted = [to_gid("Location", loc) for loc in location_ids]
        if method == "auto":
            method = "paginated"
            try:
                data = self.execute(docs.CATALOGUE_SIZE, {"limit": bulk_threshold}).data
            except ShopifyQueryError as exc:
                # the count is only a hint: never let it block the read
                _logger.warning("%s: cannot count variants (%s)", self.shop_domain, exc)
            else:
                count = (data.get("productVariantsCount") or {}).get("count") or 0
                if count >= bulk_threshold:
                    method = "bulk"
        operation = None
        if method == "bulk":
            try:
                operation = self.start_bulk_query(docs.BULK_INVENTORY_LEVELS)
            except _BulkBusy:
                _logger.info(
                    "%s: a bulk operation is running, reading levels by page",
                    self.shop_domain,
                )
        return LevelsRead(self, wanted, operation, poll_interval, bulk_timeout)

    def _iter_levels_paginated(self, wanted):
        if wanted is None:
            wanted = [loc["id"] for loc in self.iter_locations(include_inactive=True)]
        for location_id in dict.fromkeys(wanted):
            for level in self._paginate(
                docs.LOCATION_INVENTORY_LEVELS,
                {"locationId": location_id},
                ("location", "inventoryLevels"),
            ):
                item_id = (level.get("item") or {}).get("id")
                if item_id:
                    yield item_id, location_id, _available_of(level.get("quantities"))

    def run_bulk_query(self, query, *, poll_interval=1.0, timeout=3600.0):
        """Run a bulk query to completion; return its JSONL url (or None).

        ``None`` means the operation completed without any object.  Raises
        :class:`ShopifyRetryableError` if it does not finish within
        ``timeout`` seconds and :class:`ShopifyPermanentError` if it failed.
        """
        operation = self.start_bulk_query(query)
        return self.wait_bulk_query(operation, poll_interval, timeout)

    def start_bulk_query(self, query):
        """Start a bulk query; return the operation as Shopify answered.

        Raises ``_BulkBusy`` when the app's bulk query already runs.
        """
        data = self.execute(docs.BULK_OPERATION_RUN_QUERY, {"query": query}).data
        payload = data.get("bulkOperationRunQuery") or {}
        errors = [UserError.from_payload(e) for e in payload.get("userErrors") or ()]
        if errors:
            if any(
                e.code == "OPERATION_IN_PROGRESS" or "in progress" in e.message.lower()
                for e in errors
            ):
                raise _BulkBusy(errors[0].message, errors)
            raise ShopifyUserErrors(
                "bulkOperationRunQuery refused: "
                + "; ".join(e.message for e in errors),
                errors,
                operation="BulkOperationRunQuery",
            )
        return payload.get("bulkOperation") or {}

    def wait_bulk_query(self, operation, poll_interval=1.0, timeout=3600.0):
        """Wait for a started bulk query; return its JSONL url (or None).

        The caller may have done other work since it started: the
        operation is read again at once rather than after a first interval.
        """
        if operation.get("id") and operation.get("status") in ("CREATED", "RUNNING"):
            with self._waiting_for("bulk query"):
                data = self.execute(
                    docs.BULK_OPERATION_POLL, {"id": operation["id"]}
                ).data
            operation = data.get("bulkOperation") or operation
        operation = self._wait_bulk(
            operation, "bulkOperationRunQuery", poll_interval, timeout
        )
        if operation.get("status") != "COMPLETED":
            raise ShopifyPermanentError(
                f"bulk operation {operation.get('id')} {operation.get('status')}: "
                f"{operation.get('errorCode')}",
                operation="BulkOperationPoll",
            )
        return operation.get("url")

    def _wait_bulk(self, operation, mutation, poll_interval, timeout):
        """Poll a started bulk operation until it ends; return its last state.

        Raises :class:`ShopifyRetryableError` if it is still running after
        ``timeout`` seconds.  An operation that ended otherwise than
        COMPLETED (FAILED, CANCELED, EXPIRED) is returned as it is: a bulk
        mutation's ``partialDataUrl`` still tells which lines were applied.
        """
        operation_id = operation.get("id")
        if not operation_id:
            raise ShopifyPermanentError(
                f"{mutation} returned no operation", operation=mutation
            )
        deadline = time.monotonic() + timeout
        interval = poll_interval
        kind = "bulk query" if mutation == "bulkOperationRunQuery" else "bulk mutation"
        while True:
            status = operation.get("status")
            if status in ("COMPLETED", "FAILED", "CANCELED", "EXPIRED"):
                return operation
            if time.monotonic() > deadline:
                raise ShopifyRetryableError(
                    f"bulk operation {operation_id} still {status}",
                    retry_after=60,
                    operation="BulkOperationPoll",
                )
            with self._waiting_for(kind):
                self._pause(interval)
                interval = min(interval * 1.5, MAX_POLL_INTERVAL)
                data = self.execute(docs.BULK_OPERATION_POLL, {"id": operation_id}).data
            operation = data.get("bulkOperation") or {}

    def iter_jsonl(self, url):
        """Yield the objects of a bulk operation's JSONL file.

        The file is on Shopify's storage, not the Admin API: it is fetched
        without the access token, which must not leak to another host.
        """
        try:
            resp = self.session.get(
                url,
                timeout=self.timeout,
                stream=True,
                headers={"User-Agent": self.user_agent},
            )
        except requests.RequestException as exc:
            raise ShopifyRetryableError(f"bulk result download failed: {exc}") from exc
        with resp:
            if resp.status_code >= 500 or resp.status_code == 429:
                raise ShopifyRetryableError(
                    f"bulk result download: HTTP {resp.status_code}",
                    status=resp.status_code,
                )
            if resp.status_code >= 400:
                raise ShopifyPermanentError(
                    f"bulk result download: HTTP {resp.status_code}",
                    status=resp.status_code,
                )
            try:
                # 64 KiB reads: a catalogue file holds a million lines
                for line in resp.iter_lines(chunk_size=1 << 16):
                    if line and line.strip():
                        yield json.loads(line)
            except requests.RequestException as exc:
                raise ShopifyRetryableError(
                    f"bulk result download interrupted: {exc}"
                ) from exc

    def _iter_levels_bulk(self, url, wanted):
        if not url:
            return
        wanted_set = set(wanted) if wanted is not None else None
        for obj in self.iter_jsonl(url):
            location_id = obj.get("__parentId")
            item_id = (obj.get("item") or {}).get("id")
            if not location_id or not item_id or "quantities" not in obj:
                continue  # a location line, or a child of another kind
            if wanted_set is not None and location_id not in wanted_set:
                continue
            yield item_id, location_id, _available_of(obj.get("quantities"))

    # ------------------------------------------------------------------
    # inventory writes
    # ------------------------------------------------------------------

    def set_available(
        self,
        changes,
        *,
        reason="correction",
        reference_uri,
        on_stale=None,
        max_stale_rounds=5,
    ):
        """Set ``available`` quantities with compare-and-set, 250 per call.

        Every quantity carries ``changeFromQuantity`` (``null`` when the
        change's ``change_from`` is None) and every call one
        ``@idempotent`` key: generated per call and reused by the client's
        retries of that same call, so a write that Shopify applied before the
        connection dropped is not applied a second time.

        ``CHANGE_FROM_QUANTITY_STALE`` (Shopify changed the level since the
        caller read it) rejects the whole call.  The stale items are re-read
        and ``on_stale(change, current_available)`` gives the new target
        (``None`` drops the item); ``change`` is the quantity/change_from that
        was just refused.  Without ``on_stale`` the target keeps Shopify's
        concurrent change: ``wanted + (current - change_from)``, floored at 0.
        Overwriting with ``wanted`` would erase the units Shopify sold (or
        received) meanwhile, which Odoo has not seen yet and will account for
        when its own order/webhook arrives.  The call is then resent with
        ``changeFromQuantity = current`` under a *new* key (the input
        changed), together with the non-stale items of the rejected call.
        Items refused for another reason (e.g. not stocked) are reported and
        the rest of their call is resent.

        Returns a :class:`SetQuantitiesResult` with one :class:`ItemOutcome`
        per change, in input order.  Retryable transport errors that outlast
        the retries propagate as :class:`ShopifyRetryableError` (the
        remaining batches are then not sent; re-running the job re-reads);
        the exception's ``partial_result`` holds the outcomes settled so far.
        """
        return self._set_in_batches(
            changes, reason, reference_uri, on_stale, max_stale_rounds
        )

    def _set_in_batches(
        self, changes, reason, reference_uri, on_stale, max_stale_rounds, first=None
    ):
        """The write of :meth:`set_available` and :meth:`set_available_bulk`:
        the changes validated, sent 250 per call until each has an outcome,
        and on a failure the outcomes settled so far on the exception.

        :param first: ``first(pending, outcomes, result)`` settles what it
            can before the calls (a bulk operation) and returns the items
            left for them
        """
        pending = _pending_changes(changes, reference_uri)
        result = SetQuantitiesResult()
        outcomes = {}
        before = dataclasses.replace(self.stats)
        try:
            if first is not None:
                pending = first(pending, outcomes, result)
            for batch in _chunks(pending, MAX_QUANTITIES_PER_CALL):
                self._set_batch(
                    list(batch),
                    reason,
                    reference_uri,
                    on_stale,
                    max_stale_rounds,
                    outcomes,
                    result,
                )
        except ShopifyError as exc:
            # what was settled before the failure, for logs and the job layer
            exc.partial_result = self._finish(result, outcomes, changes, before)
            raise
        return self._finish(result, outcomes, changes, before)

    def _finish(self, result, outcomes, changes, before):
        result.outcomes = [
            dataclasses.replace(outcome, change=changes[index])
            for index, outcome in sorted(outcomes.items())
        ]
        result.calls = self.stats.calls - before.calls
        result.requested_cost = self.stats.requested_cost - before.requested_cost
        result.actual_cost = self.stats.actual_cost - before.actual_cost
        return result

    def _set_batch(
        self, items, reason, reference_uri, on_stale, max_rounds, outcomes, result
    ):
        """Send one batch (<= 250) until every item has an outcome."""
        key = str(uuid.uuid4())
        stale_rounds = 0
        key_retries = 0
        while items:
            payload = self._send_quantities(items, reason, reference_uri, key)
            errors = [
                UserError.from_payload(e, "quantities")
                for e in payload.get("userErrors") or ()
            ]
            general, per_item = _split_user_errors(errors, len(items))
            codes = {e.code for e in general}
            if IDEMPOTENCY_CONCURRENT in codes and key_retries < self.max_retries:
                # an earlier attempt with this key is still being processed
                key_retries += 1
                self._pause(self._backoff(key_retries))
                continue
            if IDEMPOTENCY_PREVIOUS_FAILED in codes and not key_retries:
                # the earlier attempt failed as a whole: nothing applied, new key
                key_retries += 1
                key = str(uuid.uuid4())
                continue
            if not errors or payload.get("inventoryAdjustmentGroup") is not None:
                # Applied.  Errors alongside an adjustment group would mean a
                # partial success (not how inventorySetQuantities behaves
                # today): only the named items are reported as failed.
                for i, p in enumerate(items):
                    if i in per_item:
                        self._fail(outcomes, p, per_item[i])
                    else:
                        self._outcome(outcomes, p, Outcome.APPLIED)
                return
            if general or not per_item:
                for p in items:
                    self._fail(outcomes, p, general[0] if general else errors[0])
                return
            retry = [p for i, p in enumerate(items) if i not in per_item]
            stale = []
            for i, error in per_item.items():
                if error.code == STALE:
                    stale.append((items[i], error))
                else:
                    self._fail(outcomes, items[i], error)
            if stale:
                stale_rounds += 1
                result.stale_rounds += 1
                if stale_rounds > max_rounds:
                    for p, error in stale:
                        self._fail(outcomes, p, error)
                else:
                    retry.extend(self._resolve_stale(stale, on_stale, outcomes))
            items = sorted(retry, key=lambda p: p.index)
            key = str(uuid.uuid4())  # the input changed: a new key

    def _send_quantities(self, items, reason, reference_uri, key):
        variables = {
            "idempotencyKey": key,
            "input": _quantities_input(reason, reference_uri, items),
        }
        # no size hint: a mutation costs the same whatever its input size
        data = self.execute(docs.INVENTORY_SET_QUANTITIES, variables).data
        return data.get("inventorySetQuantities") or {}

    def _resolve_stale(self, stale, on_stale, outcomes):
        """Re-read stale items and compute their new target (see set_available)."""
        current = self.read_available(
            [p.change.inventory_item_id for p, _e in stale],
            list(dict.fromkeys(p.change.location_id for p, _e in stale)),
        )
        retry = []
        for p, error in stale:
            now = current.get((p.change.inventory_item_id, p.change.location_id))
            p.current = now
            if now is None:
                self._outcome(
                    outcomes,
                    p,
                    Outcome.NOT_STOCKED,
                    NOT_STOCKED,
                    "not stocked any more",
                )
                continue
            refused = dataclasses.replace(
                p.change, quantity=p.quantity, change_from=p.change_from
            )
            if on_stale is not None:
                target = on_stale(refused, now)
            else:
                target = max(0, p.quantity + (now - (p.change_from or 0)))
            if target is None:
                self._outcome(outcomes, p, Outcome.DROPPED, error.code, error.message)
                continue
            p.quantity = int(target)
            p.change_from = now
            p.stale = True
            retry.append(p)
        return retry

    @staticmethod
    def _outcome(outcomes, p, status, code=None, message=None):
        if status == Outcome.APPLIED and p.stale:
            status = Outcome.STALE_RESOLVED
        outcomes[p.index] = ItemOutcome(
            p.index,
            p.change,
            status,
            quantity=p.quantity,
            change_from=p.change_from,
            current=p.current,
            code=code,
            message=message,
        )

    def _fail(self, outcomes, p, error):
        status = Outcome.NOT_STOCKED if error.code == NOT_STOCKED else Outcome.FAILED
        self._outcome(outcomes, p, status, error.code, error.message)

    # ------------------------------------------------------------------
    # bulk inventory writes
    # ------------------------------------------------------------------

    def set_available_bulk(
        self,
        changes,
        *,
        reason="correction",
        reference_uri,
        on_stale=None,
        max_stale_rounds=5,
        poll_interval=1.0,
        timeout=3600.0,
    ):
        """:meth:`set_available` through one bulk mutation, for big writes.

        The quantities go as a JSONL file of variables, one quantity per
        line, each line with its own ``@idempotent`` key and its
        ``changeFromQuantity``: staged (``stagedUploadsCreate``, then a
        multipart POST to the storage target, without the access token),
        then run by ``bulkOperationRunMutation``, which Shopify executes
        line by line outside the cost bucket.  The client polls the
        operation and reads its result file, one answer per line
        (``__lineNumber``):

        * no userError: applied;
        * ``CHANGE_FROM_QUANTITY_STALE``: re-read, recomputed with
          ``on_stale`` exactly as :meth:`set_available` does, and sent again
          through the per-call path (250 per call);
        * a line without answer (an operation that failed part-way), an
          answer with top-level errors or an idempotency refusal: sent again
          through the per-call path as it was, compare-and-set, so a line
          Shopify applied anyway comes back stale and is not applied twice;
        * other userErrors (not stocked, invalid item): reported as
          :meth:`set_available` reports them.

        When Shopify refuses to start the operation because 5 bulk mutations
        of the app already run (``LIMIT_REACHED``, ``OPERATION_IN_PROGRESS``)
        every quantity goes through the per-call path instead.  Returns a
        :class:`SetQuantitiesResult` with one outcome per change, in input
        order, like :meth:`set_available`.
        """

        def bulk_first(pending, outcomes, result):
            retry = self._bulk_quantities(
                pending,
                reason,
                reference_uri,
                on_stale,
                (poll_interval, timeout),
                outcomes,
                result,
            )
            result.bulk_retried = len(retry)
            return retry

        return self._set_in_batches(
            changes, reason, reference_uri, on_stale, max_stale_rounds, bulk_first
        )

    def _bulk_quantities(
        self, pending, reason, reference_uri, on_stale, polling, outcomes, result
    ):
        """Run the bulk operation; settle what its file answers.

        :return: the items to send again through the per-call path
        """
        path = self.stage_upload(
            _bulk_variables(reason, reference_uri, pending),
            "inventory_quantities.jsonl",
        )
        try:
            operation = self.run_bulk_mutation(
                docs.INVENTORY_SET_QUANTITIES_BULK,
                path,
                client_identifier=reference_uri,
            )
        except _BulkBusy as exc:
            _logger.info(
                "%s: %s; writing %d quantities 250 per call instead",
                self.shop_domain,
                exc,
                len(pending),
            )
            return list(pending)
        result.bulk_operations += 1
        operation = self._wait_bulk(operation, "bulkOperationRunMutation", *polling)
        answers = self._bulk_answers(operation, len(pending))
        return self._settle_bulk_answers(pending, answers, on_stale, outcomes, result)

    def _bulk_answers(self, operation, lines):
        """{line number: answer} from a finished operation's (partial) file."""
        url = operation.get("url") or operation.get("partialDataUrl")
        answers = {}
        if url:
            for obj in self.iter_jsonl(url):
                answers[obj.get("__lineNumber")] = obj
        if operation.get("status") != "COMPLETED":
            _logger.warning(
                "%s: bulk operation %s %s (%s): %d of %d lines answered, the "
                "others are written 250 per call",
                self.shop_domain,
                operation.get("id"),
                operation.get("status"),
                operation.get("errorCode"),
                len(answers),
                lines,
            )
        return answers

    def _settle_bulk_answers(self, pending, answers, on_stale, outcomes, result):
        """Outcomes of the answered lines; the others to send again.

        :return: the items for the per-call path: unanswered or refused for
            their key as they were, stale ones recomputed from a re-read
        """
        retry, stale = [], []
        for number, p in enumerate(pending):
            answer = answers.get(number)
            payload = ((answer or {}).get("data") or {}).get("inventorySetQuantities")
            if answer is None or answer.get("errors") or payload is None:
                retry.append(p)
                continue
            result.bulk_lines += 1
            errors = [
                UserError.from_payload(e, "quantities")
                for e in payload.get("userErrors") or ()
            ]
            if not errors:
                self._outcome(outcomes, p, Outcome.APPLIED)
            elif errors[0].code == STALE:
                stale.append((p, errors[0]))
            elif errors[0].code in RESEND_CODES:
                retry.append(p)
            else:
                self._fail(outcomes, p, errors[0])
        if stale:
            result.stale_rounds += 1
            retry.extend(self._resolve_stale(stale, on_stale, outcomes))
        return sorted(retry, key=lambda p: p.index)

    def stage_upload(self, body, filename, mime_type="text/jsonl"):
        """Upload ``body`` as bulk mutation variables; return its staged path.

        ``stagedUploadsCreate`` gives a target on Shopify's storage; the file
        is POSTed there as a multipart form (the target's parameters, then
        the file), without the access token, which must not leave Shopify's
        Admin API.  Network errors and 5xx answers are retried.
        """
        data = self.execute(
            docs.STAGED_UPLOADS_CREATE,
            {
                "input": [
                    {
                        "resource": "BULK_MUTATION_VARIABLES",
                        "filename": filename,
                        "mimeType": mime_type,
                        "httpMethod": "POST",
                        "fileSize": str(len(body)),
                    }
                ]
            },
        ).data
        payload = data.get("stagedUploadsCreate") or {}
        self._raise_user_errors(payload, "stagedUploadsCreate")
        target = (payload.get("stagedTargets") or [{}])[0]
        parameters = [(p["name"], p["value"]) for p in target.get("parameters") or ()]
        path = dict(parameters).get("key")
        if not path or not target.get("url"):
            raise ShopifyPermanentError(
                "stagedUploadsCreate returned no target key",
                operation="StagedUploadsCreate",
            )
        attempt = 0
        while True:
            try:
                resp = self.session.post(
                    target["url"],
                    data=parameters,
                    files={"file": (filename, body, mime_type)},
                    headers={"User-Agent": self.user_agent},
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                problem = f"staged upload failed: {exc}"
            else:
                if resp.status_code < 300:
                    return path
                problem = f"staged upload: HTTP {resp.status_code} {_short(resp.text)}"
                if resp.status_code < 500 and resp.status_code != 429:
                    raise ShopifyPermanentError(problem, status=resp.status_code)
            if attempt >= self.max_retries:
                raise ShopifyRetryableError(problem)
            attempt += 1
            self.stats.retries += 1
            self._pause(self._backoff(attempt))

    def run_bulk_mutation(self, mutation, staged_path, *, client_identifier=None):
        """Start ``mutation`` over the staged variables; return the operation.

        Raises ``_BulkBusy`` when Shopify runs as many bulk mutations for the
        app as it allows, :class:`ShopifyUserErrors` for other refusals.
        """
        data = self.execute(
            docs.BULK_OPERATION_RUN_MUTATION,
            {
                "mutation": mutation,
                "stagedUploadPath": staged_path,
                "clientIdentifier": client_identifier,
            },
        ).data
        payload = data.get("bulkOperationRunMutation") or {}
        errors = [UserError.from_payload(e) for e in payload.get("userErrors") or ()]
        if any(e.code in BULK_BUSY_CODES for e in errors):
            raise _BulkBusy(errors[0].message, errors)
        self._raise_user_errors(payload, "bulkOperationRunMutation")
        return payload.get("bulkOperation") or {}

    def activate(self, inventory_item_id, location_id, available=None):
        """Stock an item at a location (``inventoryActivate``).

        For a mapping that says the item belongs at the location while
        Shopify answered ``ITEM_NOT_STOCKED_AT_LOCATION``.  Returns
        ``{"inventory_level_id", "available"}``; userErrors raise
        :class:`ShopifyUserErrors`.
        """
        variables = {
            "inventoryItemId": to_gid("InventoryItem", inventory_item_id),
            "locationId": to_gid("Location", location_id),
            "available": available,
            "idempotencyKey": str(uuid.uuid4()),
        }
        data = self.execute(docs.INVENTORY_ACTIVATE, variables).data
        payload = data.get("inventoryActivate") or {}
        self._raise_user_errors(payload, "inventoryActivate")
        level = payload.get("inventoryLevel") or {}
        return {
            "inventory_level_id": level.get("id"),
            "available": _available_of(level.get("quantities")),
        }

    # ------------------------------------------------------------------
    # webhooks
    # ------------------------------------------------------------------

    @staticmethod
    def webhook_topic(topic):
        """``orders/create`` or ``ORDERS_CREATE`` -> ``ORDERS_CREATE``."""
        return re.sub(r"[/.\s-]", "_", topic.strip()).upper()

    def create_webhook(self, topic, callback_url):
        """Subscribe ``callback_url`` (sent as ``uri``) to ``topic``."""
        data = self.execute(
            docs.WEBHOOK_SUBSCRIPTION_CREATE,
            {
                "topic": self.webhook_topic(topic),
                "webhookSubscription": {"uri": callback_url, "format": "JSON"},
            },
        ).data
        payload = data.get("webhookSubscriptionCreate") or {}
        self._raise_user_errors(payload, "webhookSubscriptionCreate")
        return payload.get("webhookSubscription")

    def list_webhooks(self):
        """Every webhook subscription of the app on this shop."""
        return list(
            self._paginate(docs.WEBHOOK_SUBSCRIPTIONS, {}, ("webhookSubscriptions",))
        )

    def delete_webhook(self, webhook_id):
        """Delete a subscription; returns the deleted id."""
        data = self.execute(
            docs.WEBHOOK_SUBSCRIPTION_DELETE, {"id": str(webhook_id)}
        ).data
        payload = data.get("webhookSubscriptionDelete") or {}
        self._raise_user_errors(payload, "webhookSubscriptionDelete")
        return payload.get("deletedWebhookSubscriptionId")

    # ------------------------------------------------------------------
    # orders
    # ------------------------------------------------------------------

    def iter_orders(self, updated_since=None, *, page_size=10, line_items_first=15):
        """Yield orders updated after ``updated_since`` (datetime or ISO text).

        Nodes are Shopify's order objects (see ``graphql/orders.graphql``);
        ``lineItems.nodes`` is complete: orders with more lines than fit in
        the first page are completed with ``OrderLineItems``.
        """
        query = None
        if updated_since is not None:
            query = f"updated_at:>'{_iso_utc(updated_since)}'"
        for order in self._paginate(
            docs.ORDERS,
            {"query": query, "lineItemsFirst": line_items_first},
            ("orders",),
            page_size,
        ):
            lines = order.get("lineItems") or {}
            page = lines.get("pageInfo") or {}
            after = page.get("endCursor") if page.get("hasNextPage") else None
            nodes = list(lines.get("nodes") or ())
            while after:
                data = self.execute(
                    docs.ORDER_LINE_ITEMS,
                    {"id": order["id"], "first": 100, "after": after},
                ).data
                more = (data.get("order") or {}).get("lineItems") or {}
                nodes.extend(more.get("nodes") or ())
                page = more.get("pageInfo") or {}
                after = page.get("endCursor") if page.get("hasNextPage") else None
            order["lineItems"] = {
                "nodes": nodes,
                "pageInfo": {"hasNextPage": False, "endCursor": None},
            }
            yield order

    # ------------------------------------------------------------------

    @staticmethod
    def _raise_user_errors(payload, mutation):
        errors = [UserError.from_payload(e) for e in payload.get("userErrors") or ()]
        if errors:
            raise ShopifyUserErrors(
                f"{mutation}: " + "; ".join(e.message for e in errors),
                errors,
                operation=mutation,
            )


class LevelsRead:
    """A read of every level, started by :meth:`ShopifyClient.start_levels_read`.

    Iterate it (once) for ``(inventory_item_id, location_id, available)``:
    it waits for the bulk operation, if one was started, then streams its
    file; otherwise it reads page by page.
    """

    def __init__(self, client, wanted, operation, poll_interval, timeout):
        self.client = client
        self.wanted = wanted
        self.operation = operation
        self.poll_interval = poll_interval
        self.timeout = timeout

    def __iter__(self):
        client = self.client
        if self.operation is None:
            yield from client._iter_levels_paginated(self.wanted)
            return
        url = client.wait_bulk_query(self.operation, self.poll_interval, self.timeout)
        yield from client._iter_levels_bulk(url, self.wanted)


class _BulkBusy(ShopifyError):
    """Shopify runs as many bulk operations of this app as it allows."""

    def __init__(self, message, user_errors):
        super().__init__(message)
        self.user_errors = user_errors


def _quantities_input(reason, reference_uri, items):
    """``InventorySetQuantitiesInput`` for ``items`` (_Pending), compare-and-set."""
    return {
        "name": "available",
        "reason": reason,
        "referenceDocumentUri": reference_uri,
        "quantities": [
            {
                "inventoryItemId": p.change.inventory_item_id,
                "locationId": p.change.location_id,
                "quantity": p.quantity,
                "changeFromQuantity": p.change_from,
            }
            for p in items
        ],
    }


def _bulk_variables(reason, reference_uri, pending):
    """JSONL bytes: one line of variables per quantity, each with its own key."""
    return "".join(
        json.dumps(
            {
                "idempotencyKey": str(uuid.uuid4()),
                "input": _quantities_input(reason, reference_uri, [p]),
            },
            separators=(",", ":"),
        )
        + "\n"
        for p in pending
    ).encode("utf-8")


def _pending_changes(changes, reference_uri):
    """Validate and normalise the changes of a write -> [_Pending]."""
    if not reference_uri:
        raise ValueError("reference_uri is required (audit trail in Shopify)")
    pending = []
    seen = set()
    for index, change in enumerate(changes):
        item = to_gid("InventoryItem", change.inventory_item_id)
        location = to_gid("Location", change.location_id)
        if (item, location) in seen:
            raise ValueError(
                f"duplicate quantity for {item} at {location}: merge them first"
            )
        seen.add((item, location))
        if change.quantity is None or int(change.quantity) != change.quantity:
            raise ValueError(f"quantity must be an integer: {change!r}")
        norm = dataclasses.replace(change, inventory_item_id=item, location_id=location)
        pending.append(_Pending(index, norm, int(change.quantity), change.change_from))
    return pending


def _split_user_errors(errors, count):
    """(errors about the whole call, {item position: first error of that item})."""
    general = []
    per_item = {}
    for error in errors:
        if error.item_index is not None and 0 <= error.item_index < count:
            per_item.setdefault(error.item_index, error)
        else:
            general.append(error)
    return general, per_item


def _retry_after(value, default=None):
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return default


def _throttle_delay(cost):
    """Seconds until the bucket holds the refused request's cost."""
    status = (cost or {}).get("throttleStatus") or {}
    requested = (cost or {}).get("requestedQueryCost")
    available = status.get("currentlyAvailable")
    rate = status.get("restoreRate")
    if requested is None or available is None or not rate:
        return 1.0
    return max(0.05, (requested - available) / rate)


def _iso_utc(value):
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        value = value.astimezone(datetime.timezone.utc).replace(microsecond=0)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return f"{value.isoformat()}T00:00:00Z"
    return str(value).replace("'", "")


def _short(text, limit=200):
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
