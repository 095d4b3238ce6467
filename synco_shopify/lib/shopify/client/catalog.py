"""Shop, locations and catalogue of :class:`~.ShopifyClient`.

What "Test connection" and the onboarding read: the shop's identity and API
limits, the token's scopes, the locations, and the variants by SKU.
"""

import logging

from .. import documents as docs
from ..common import search_quote

_logger = logging.getLogger(__name__)


class CatalogMixin:
    """Shop, location and catalogue reads of :class:`~.ShopifyClient`."""

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
