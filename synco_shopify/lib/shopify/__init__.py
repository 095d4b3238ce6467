"""Plain-Python Shopify Admin GraphQL client (no Odoo imports).

Import from here::

    from odoo.addons.synco_shopify.lib.shopify import ShopifyClient, QuantityChange
"""

from .client import (
    ADDON_VERSION,
    MAX_QUANTITIES_PER_CALL,
    USER_AGENT,
    ClientStats,
    ItemOutcome,
    LevelQuantities,
    Outcome,
    QuantityChange,
    SetQuantitiesResult,
    ShopifyClient,
    StateTarget,
    committed_of,
)
from .common import (
    DEFAULT_API_VERSION,
    MIN_API_VERSION,
    api_version_problem,
    check_api_version,
    search_quote,
    to_gid,
)
from .errors import (
    ShopifyAuthError,
    ShopifyCredentialsRefused,
    ShopifyError,
    ShopifyPermanentError,
    ShopifyQueryError,
    ShopifyRetryableError,
    ShopifyThrottledError,
    ShopifyUserErrors,
    UserError,
)
from .throttle import (
    CostThrottle,
    FileThrottleStore,
    MemoryThrottleStore,
    ThrottleStore,
)
from .orders import (
    delivery_kind,
    graphql_refunds,
    normalize_order,
    parse_ranges,
    split_list,
    zip_matches,
)
from .webhook import HMAC_HEADER, sign, verify_hmac

__all__ = [
    "ADDON_VERSION",
    "DEFAULT_API_VERSION",
    "HMAC_HEADER",
    "MAX_QUANTITIES_PER_CALL",
    "MIN_API_VERSION",
    "USER_AGENT",
    "ClientStats",
    "CostThrottle",
    "FileThrottleStore",
    "ItemOutcome",
    "MemoryThrottleStore",
    "LevelQuantities",
    "Outcome",
    "QuantityChange",
    "SetQuantitiesResult",
    "StateTarget",
    "ShopifyAuthError",
    "ShopifyClient",
    "ShopifyCredentialsRefused",
    "ShopifyError",
    "ShopifyPermanentError",
    "ShopifyQueryError",
    "ShopifyRetryableError",
    "ShopifyThrottledError",
    "ShopifyUserErrors",
    "ThrottleStore",
    "UserError",
    "api_version_problem",
    "check_api_version",
    "committed_of",
    "delivery_kind",
    "graphql_refunds",
    "normalize_order",
    "parse_ranges",
    "search_quote",
    "sign",
    "split_list",
    "to_gid",
    "verify_hmac",
    "zip_matches",
]
