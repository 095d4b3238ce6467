"""Rate limiting: Shopify's leaky bucket per shop, and the query cost.

Rate limiting is Shopify's leaky bucket per shop, in real time: a request
whose requested cost exceeds what is left is answered ``Throttled``; after
execution the difference between requested and actual cost is refunded.
A query whose requested cost exceeds ``MAX_QUERY_COST`` is refused whatever
the bucket holds.

A mixin of :class:`~.simulator.Simulator`: its methods run on the simulator.
"""

import time

from graphql import execute

from . import graphql_api
from .graphql_api import SCHEMA, Context, default_resolver, operation_cost


class Bucket:
    """Shopify's leaky bucket: ``maximum`` points, refilled at ``rate``/s."""

    def __init__(self, maximum, rate):
        self.maximum = float(maximum)
        self.rate = float(rate)
        self.available = float(maximum)
        self.stamp = time.monotonic()

    def refill(self):
        now = time.monotonic()
        self.available = min(
            self.maximum, self.available + (now - self.stamp) * self.rate
        )
        self.stamp = now

    def status(self):
        return {
            "maximumAvailable": self.maximum,
            "currentlyAvailable": int(self.available),
            "restoreRate": self.rate,
        }


class RateLimitMixin:
    """The bucket of each shop, and requests executed under it."""

    def set_bucket(self, maximum=None, restore_rate=None, shop=None):
        with self.lock:
            if maximum is not None:
                self.bucket_size = maximum
            if restore_rate is not None:
                self.restore_rate = restore_rate
            shops = [self.store.shop(shop)] if shop else self.store.shops.values()
            for each in shops:
                each.bucket = Bucket(self.bucket_size, self.restore_rate)

    def run(self, shop, version, request, entry, concurrent=False):
        """Execute a prepared request under the rate limit; returns the payload."""
        requested = operation_cost(
            request.operation, request.fragments, request.variables
        )
        entry["requested_cost"] = requested
        with self.lock:
            bucket = shop.bucket
            bucket.refill()
            if requested > graphql_api.MAX_QUERY_COST:
                return self._cost_error(
                    requested,
                    bucket,
                    f"Query cost is {requested}, which exceeds the single query max "
                    f"cost limit ({graphql_api.MAX_QUERY_COST}).",
                    "MAX_COST_EXCEEDED",
                )
            if requested > bucket.available:
                entry["throttled"] = True
                return self._cost_error(requested, bucket, "Throttled", "THROTTLED")
            bucket.available -= requested
            context = Context(self, shop, version, concurrent=concurrent)
            result = execute(
                SCHEMA,
                request.document,
                operation_name=request.body.get("operationName"),
                variable_values=request.body.get("variables") or {},
                context_value=context,
                field_resolver=default_resolver,
            )
            actual = (
                requested
                if request.mutation
                else operation_cost(
                    request.operation,
                    request.fragments,
                    request.variables,
                    result.data,
                    actual=True,
                )
            )
            bucket.available = min(
                bucket.maximum, bucket.available + requested - actual
            )
            cost = {
                "requestedQueryCost": requested,
                "actualQueryCost": actual,
                "throttleStatus": bucket.status(),
            }
        entry.update(
            actual_cost=actual,
            idempotent_replay=context.replayed,
            errors=len(result.errors or []),
            user_errors=sum(
                len((v or {}).get("userErrors") or [])
                for v in (result.data or {}).values()
                if isinstance(v, dict)
            ),
        )
        payload = {}
        if result.errors:
            payload["errors"] = [e.formatted for e in result.errors]
        payload["data"] = result.data
        payload["extensions"] = {"cost": cost}
        return payload

    @staticmethod
    def _cost_error(requested, bucket, message, code):
        extensions = {
            "code": code,
            "documentation": "https://shopify.dev/api/usage/rate-limits",
        }
        if code == "MAX_COST_EXCEEDED":
            extensions.update(cost=requested, maxCost=graphql_api.MAX_QUERY_COST)
        return {
            "errors": [{"message": message, "extensions": extensions}],
            "extensions": {
                "cost": {
                    "requestedQueryCost": requested,
                    "actualQueryCost": None,
                    "throttleStatus": bucket.status(),
                }
            },
        }
