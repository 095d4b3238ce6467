"""Inventory reads of :class:`~.ShopifyClient`, and the bulk queries.

``available`` levels by item (:meth:`InventoryReadMixin.read_available`, the
re-read of a stale write) or every level of the shop
(:meth:`InventoryReadMixin.start_levels_read`, the reconciliation), page by
page or through a bulk query whose JSONL file is streamed.  The bulk
operation's start, polling and busy refusal live here; the bulk writes of
:mod:`.bulk` poll with the same :meth:`InventoryReadMixin._wait_bulk`.
"""

import json
import logging
import re
import time

from .. import documents as docs
from ..common import chunks, to_gid
from ..errors import (
    ShopifyError,
    ShopifyPermanentError,
    ShopifyQueryError,
    ShopifyRetryableError,
    ShopifyUserErrors,
    UserError,
)
from .results import LevelQuantities

_logger = logging.getLogger(__name__)

# polls of a bulk operation slow down to this many seconds apart: a poll costs
# one point, a poll too late costs the wait (half the interval on average).
# A run polls once its own figures are computed, near the file's end: a
# second apart is 60 points a minute of a bucket restoring 100 a second
MAX_POLL_INTERVAL = 1.0


def _available_of(quantities):
    """``available`` of a level's ``quantities``, as :class:`LevelQuantities`
    carrying ``committed`` and ``on_hand`` when they were read; None when
    there is no available quantity."""
    available = committed = on_hand = None
    for quantity in quantities or ():  # a million levels: no dict each
        name = quantity.get("name")
        if name == "available":
            available = quantity.get("quantity")
        elif name == "committed":
            committed = quantity.get("quantity")
        elif name == "on_hand":
            on_hand = quantity.get("quantity")
    if available is None:
        return None
    return LevelQuantities(available, committed, on_hand)


# A level's line as Shopify writes it for ``BULK_INVENTORY_LEVELS`` (its
# fields in the query's order, compact JSON), and a location's line: a batch
# whose every line is one of these is read by two regular expressions instead
# of the JSON decoder (the values are plain digits and gids: nothing to
# unescape).  Any other line (another order, a field more, an escape) sends
# its whole batch through the decoder.
_LEVEL_LINE = re.compile(
    rb'^\{"id":"gid://shopify/InventoryLevel/[0-9]+\?inventory_item_id=[0-9]+",'
    rb'"item":\{"id":"(gid://shopify/InventoryItem/[0-9]+)"\},'
    rb'"quantities":\[\{"name":"available","quantity":(-?[0-9]+)\},'
    rb'\{"name":"committed","quantity":(-?[0-9]+)\},'
    rb'\{"name":"on_hand","quantity":(-?[0-9]+)\}\],'
    rb'"__parentId":"(gid://shopify/Location/[0-9]+)"\}$',
    re.MULTILINE,
)
_LOCATION_LINE = re.compile(
    rb'^\{"id":"gid://shopify/Location/[0-9]+"\}$', re.MULTILINE
)


def _plain_levels(lines):
    """[(item gid, location gid, LevelQuantities)] of a batch of lines when
    each is a level or a location line as Shopify writes them; else None."""
    text = b"\n".join(lines)
    found = _LEVEL_LINE.findall(text)
    if len(found) != len(lines) and len(found) + len(
        _LOCATION_LINE.findall(text)
    ) != len(lines):
        return None
    return [
        (
            item.decode(),
            location.decode(),
            LevelQuantities(int(available), int(committed), int(on_hand)),
        )
        for item, available, committed, on_hand, location in found
    ]


def _levels_of(objects):
    """(item gid, location gid, available) of the level objects decoded."""
    for obj in objects:
        location_id = obj.get("__parentId")
        item_id = (obj.get("item") or {}).get("id")
        if not location_id or not item_id or "quantities" not in obj:
            continue  # a location line, or a child of another kind
        yield item_id, location_id, _available_of(obj.get("quantities"))


class InventoryReadMixin:
    """Level reads and bulk queries of :class:`~.ShopifyClient`."""

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
        for batch in chunks(items, per_call):
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
        poll_interval=0.25,
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
        reads when iterated.  Once iterated, the operation is polled at
        once, then ``poll_interval`` seconds later (growing to a second): a
        caller iterates when its own work is done, near the file's end.
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

    def _iter_levels_bulk(self, url, wanted):
        if not url:
            return
        wanted_set = set(wanted) if wanted is not None else None
        decode = json.JSONDecoder().decode
        for batch in self.iter_jsonl_batches(url):
            levels = _plain_levels(batch)
            if levels is None:  # a line of another shape: decoded as JSON
                levels = _levels_of(decode(f"[{b','.join(batch).decode()}]"))
            for item_id, location_id, available in levels:
                if wanted_set is None or location_id in wanted_set:
                    yield item_id, location_id, available


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
        self._next_poll = 0.0

    def ready(self):
        """Whether the bulk file can be streamed now (:meth:`stream`).

        For a caller busy with other work, asking between two of its steps:
        polls the operation at most every ``poll_interval`` seconds, never
        waits.  False for a paginated read (it reads when iterated) and for
        an operation that ended otherwise (iterating raises then).
        """
        operation = self.operation
        if operation is None or not operation.get("id"):
            return False
        if operation.get("status") in ("CREATED", "RUNNING"):
            now = time.monotonic()
            if now < self._next_poll:
                return False
            self._next_poll = now + self.poll_interval
            client = self.client
            with client._waiting_for("bulk query"):
                data = client.execute(
                    docs.BULK_OPERATION_POLL, {"id": operation["id"]}
                ).data
            self.operation = operation = data.get("bulkOperation") or operation
        return operation.get("status") == "COMPLETED"

    def stream(self):
        """The levels of a :meth:`ready` bulk file, as iterating yields them.

        Only downloads (Shopify's storage, no access token, no other call
        of the client): a caller may run it on a thread of its own while it
        does other work, and use the client again once it has finished.
        """
        return self.client._iter_levels_bulk(self.operation.get("url"), self.wanted)

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
