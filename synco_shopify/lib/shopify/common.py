"""Small helpers of both sides: the client and the Odoo models.

Plain Python, no Odoo imports: Shopify's global ids, its search syntax, the
ISO dates of its queries, and the one rule of which API versions the addon
speaks (:func:`api_version_problem`).
"""

import datetime
import re

DEFAULT_API_VERSION = "2026-07"
#: 2026-04 made @idempotent and changeFromQuantity mandatory; the documents
#: rely on both, so older versions are refused rather than half-working.
MIN_API_VERSION = "2026-04"
# Shopify releases a stable API version each quarter, named after the
# quarter's first month: YYYY-01, -04, -07 and -10 (shopify.dev, "About
# Shopify API versioning").  "unstable" and release candidates are refused.
API_VERSION_RE = re.compile(r"\d{4}-(01|04|07|10)")

GID_KINDS = {"InventoryItem", "Location", "ProductVariant", "Order"}


def api_version_problem(version):
    """What keeps ``version`` from being used, or None: the API-version rule.

    ``"malformed"`` when it is not the name of a stable release (``YYYY-MM``
    with a month that starts a quarter: 01, 04, 07 or 10), ``"too old"`` when
    it is older than :data:`MIN_API_VERSION`.  The client
    (:func:`check_api_version`) and the shop's constraint both ask this
    function, and word its answer each their own way.
    """
    if not isinstance(version, str) or not API_VERSION_RE.fullmatch(version):
        return "malformed"
    if version < MIN_API_VERSION:
        return "too old"
    return None


def check_api_version(version):
    """Return ``version`` if it is a quarterly release >= 2026-04.

    Raises ``ValueError`` saying why not (:func:`api_version_problem`).
    """
    problem = api_version_problem(version)
    if problem == "malformed":
        raise ValueError(
            f"Shopify API version {version!r} is not a YYYY-MM release version "
            "(YYYY-01, -04, -07 or -10)"
        )
    if problem == "too old":
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


def chunks(seq, size):
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


def iso_utc(value):
    """``value`` (datetime, date or text) as the UTC ISO time of a search."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        value = value.astimezone(datetime.timezone.utc).replace(microsecond=0)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, datetime.date):
        return f"{value.isoformat()}T00:00:00Z"
    return str(value).replace("'", "")
