"""Shopify Admin GraphQL client: the one place where the addon talks HTTP.

Plain Python (``requests`` + stdlib); models reach it through an adapter and
the job layer maps :class:`~..errors.ShopifyRetryableError` to queue_job's
``RetryableJobError``.  What it adds to a bare POST:

* cost-aware throttling shared by every worker of the host
  (:mod:`..throttle`), plus reactive handling of ``THROTTLED`` and HTTP 429;
* retries with backoff for transient failures; a retried request is sent
  byte for byte again, so the ``@idempotent`` key of a mutation is reused and
  a write that Shopify applied before the connection dropped is not applied
  twice;
* compare-and-set inventory writes (``changeFromQuantity``) in calls of at
  most 250 quantities, with a re-read-and-recompute path for
  ``CHANGE_FROM_QUANTITY_STALE`` that never overwrites a concurrent change;
* pagination, SKU look-up, level reads (batched, or through a bulk operation
  for big catalogues), webhooks subscriptions and the order feed.

:class:`ShopifyClient` holds a shop's connection and is assembled from one
mixin per area, each in its own module, all calling the one
:meth:`~.transport.TransportMixin.execute`:

* :mod:`.transport`: HTTP, retries, throttle, the mapping of failures;
* :mod:`.catalog`: shop, locations, variants by SKU;
* :mod:`.inventory`: level reads and bulk queries;
* :mod:`.writes`: compare-and-set writes;
* :mod:`.bulk`: bulk writes and staged uploads;
* :mod:`.webhooks`: webhook subscriptions;
* :mod:`.orders`: the order feed;
* :mod:`.transfers`: stock in transit shown as incoming (transfers and
  shipments);
* :mod:`..fulfillments`: fulfilment orders and fulfilments.

:mod:`.results` holds the result types and :mod:`..common` the helpers the
Odoo side shares (GIDs, search quoting, ISO dates, the API-version rule).
"""

import time

import requests

from ..common import (
    DEFAULT_API_VERSION,
    MIN_API_VERSION,
    check_api_version,
    search_quote,
    to_gid,
)
from ..fulfillments import FulfillmentMixin
from ..throttle import CostThrottle
from .bulk import BulkWriteMixin
from .catalog import CatalogMixin
from .inventory import InventoryReadMixin, LevelsRead
from .orders import OrderMixin
from .results import (
    ClientStats,
    ItemOutcome,
    LevelQuantities,
    Outcome,
    QuantityChange,
    SetQuantitiesResult,
    committed_of,
)
from .states import StatesMixin, StateTarget
from .transfers import Shipment, ShipmentLine, TransfersMixin
from .transport import (
    ADDON_VERSION,
    FALLBACK_ADDON_VERSION,
    USER_AGENT,
    Response,
    TransportMixin,
)
from .webhooks import WebhookMixin
from .writes import MAX_QUANTITIES_PER_CALL, InventoryWriteMixin


class ShopifyClient(
    CatalogMixin,
    InventoryReadMixin,
    InventoryWriteMixin,
    StatesMixin,
    BulkWriteMixin,
    WebhookMixin,
    OrderMixin,
    FulfillmentMixin,
    TransfersMixin,
    TransportMixin,
):
    """Client of one shop's Admin GraphQL API.

    :param shop_domain: ``my-shop.myshopify.com``; keys the shared throttle.
    :param access_token: sent as ``X-Shopify-Access-Token``: a static token
        (string), or a token provider, an object with ``token()`` (the
        current token, renewed ahead of expiry) and ``refresh(stale)`` (a
        new token after Shopify answered 401 to ``stale``): a 401 then
        refreshes once and sends the request again.
    :param api_version: a quarterly ``YYYY-MM`` release, 2026-04 or later
        (:func:`~..common.api_version_problem`).
    :param base_url: replaces ``https://{shop_domain}`` (simulator, proxies).
    :param timeout: ``(connect, read)`` seconds for every request.
    :param session: a ``requests.Session`` (or compatible) to reuse.
    :param throttle: a :class:`~..throttle.CostThrottle`; by default one over
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
        if isinstance(access_token, str):
            self.access_token, self.token_provider = access_token, None
        else:
            self.access_token, self.token_provider = None, access_token
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


__all__ = [
    "ADDON_VERSION",
    "DEFAULT_API_VERSION",
    "FALLBACK_ADDON_VERSION",
    "MAX_QUANTITIES_PER_CALL",
    "MIN_API_VERSION",
    "USER_AGENT",
    "ClientStats",
    "ItemOutcome",
    "LevelsRead",
    "LevelQuantities",
    "Outcome",
    "QuantityChange",
    "Response",
    "SetQuantitiesResult",
    "Shipment",
    "ShipmentLine",
    "StateTarget",
    "ShopifyClient",
    "committed_of",
    "check_api_version",
    "search_quote",
    "to_gid",
]
