"""Transport of :class:`~.ShopifyClient`: HTTP, retries, throttle, errors.

Every request of the client goes through this module: the GraphQL POSTs
(:meth:`TransportMixin.execute`, the one ``execute`` of every other mixin),
the download of a bulk operation's file (:meth:`TransportMixin.iter_jsonl`)
and the upload of a staged file (:meth:`TransportMixin._post_file`).  It
waits for the cost throttle shared by the workers of the host, retries what
can be retried, and maps every failure to an exception of :mod:`..errors`.
"""

import ast
import contextlib
import json
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from .. import documents as docs
from ..errors import (
    ShopifyAuthError,
    ShopifyCredentialsRefused,
    ShopifyPermanentError,
    ShopifyQueryError,
    ShopifyRetryableError,
    ShopifyThrottledError,
    ShopifyUserErrors,
    UserError,
)

_logger = logging.getLogger(__name__)

FALLBACK_ADDON_VERSION = "19.0.1.0.0"

# GraphQL error codes (errors[].extensions.code)
RETRYABLE_GRAPHQL_CODES = {
    "THROTTLED",
    "INTERNAL_SERVER_ERROR",
    "SERVICE_UNAVAILABLE",
    "TIMEOUT",
}
AUTH_GRAPHQL_CODES = {"ACCESS_DENIED", "UNAUTHORIZED", "FORBIDDEN"}


def _read_addon_version():
    """Version from ``synco_shopify/__manifest__.py`` (single source of truth)."""
    manifest = Path(__file__).resolve().parents[3] / "__manifest__.py"
    try:
        return ast.literal_eval(manifest.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, SyntaxError, KeyError, TypeError):
        return FALLBACK_ADDON_VERSION


ADDON_VERSION = _read_addon_version()
USER_AGENT = f"synco_shopify/{ADDON_VERSION}"


@dataclass
class Response:
    data: dict
    extensions: dict
    headers: dict
    operation: str

    @property
    def cost(self):
        return self.extensions.get("cost") or {}


class TransportMixin:
    """Requests of :class:`~.ShopifyClient`, and their failures."""

    def _token(self):
        """The token to send: the static one, or the provider's current one."""
        if self.token_provider is None:
            return self.access_token
        return self.token_provider.token()

    def _headers(self, token=None):
        return {
            "X-Shopify-Access-Token": token or self._token(),
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
        refreshed = False
        while True:
            try:
                return self._send(operation, payload, size)
            except ShopifyCredentialsRefused:
                raise  # only a human reconnecting the shop helps
            except ShopifyAuthError as exc:
                if exc.status != 401 or self.token_provider is None:
                    raise
                if refreshed:
                    raise ShopifyCredentialsRefused(
                        f"{operation} on {self.shop_domain}: a renewed token "
                        f"is refused too (HTTP 401)",
                        status=401,
                        operation=operation,
                    ) from exc
                # expired or revoked early: one refresh, the same request again
                refreshed = True
                self.stats.token_refreshes += 1
                self.token_provider.refresh(exc.token)
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
        token = self._token()
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
                headers=self._headers(token),
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
            error = ShopifyAuthError(
                f"HTTP {status} from {self.shop_domain}: the access token is "
                f"invalid or lacks a scope ({_short(resp.text)})",
                status=status,
                operation=operation,
            )
            error.token = token  # which token was refused (never in the text)
            raise error
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

    def iter_jsonl(self, url):
        """Yield the objects of a bulk operation's JSONL file.

        The file is on Shopify's storage, not the Admin API: it is fetched
        without the access token, which must not leak to another host.
        """
        # a catalogue file holds a million lines, decoded a thousand at a
        # time as one JSON array (one call of the decoder, not one per line)
        decode = json.JSONDecoder().decode
        for batch in self.iter_jsonl_batches(url):
            yield from decode(f"[{b','.join(batch).decode()}]")

    def iter_jsonl_batches(self, url, size=1000):
        """The lines of a bulk operation's JSONL file, ``size`` at a time.

        Lists of the lines' bytes (blank lines left out, no line break),
        as :meth:`iter_jsonl` decodes them; fetched the same way.
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
                batch = []
                for line in resp.iter_lines(chunk_size=1 << 16):  # 64 KiB reads
                    if line and line.strip():
                        batch.append(line)
                        if len(batch) == size:
                            yield batch
                            batch = []
                if batch:
                    yield batch
            except requests.RequestException as exc:
                raise ShopifyRetryableError(
                    f"bulk result download interrupted: {exc}"
                ) from exc

    def _post_file(self, url, parameters, filename, body, mime_type):
        """POST ``body`` to a staged upload target as a multipart form.

        The target's parameters, then the file, without the access token,
        which must not leave Shopify's Admin API.  Network errors and 5xx
        answers are retried.
        """
        attempt = 0
        while True:
            try:
                resp = self.session.post(
                    url,
                    data=parameters,
                    files={"file": (filename, body, mime_type)},
                    headers={"User-Agent": self.user_agent},
                    timeout=self.timeout,
                )
            except requests.RequestException as exc:
                problem = f"staged upload failed: {exc}"
            else:
                if resp.status_code < 300:
                    return
                problem = f"staged upload: HTTP {resp.status_code} {_short(resp.text)}"
                if resp.status_code < 500 and resp.status_code != 429:
                    raise ShopifyPermanentError(problem, status=resp.status_code)
            if attempt >= self.max_retries:
                raise ShopifyRetryableError(problem)
            attempt += 1
            self.stats.retries += 1
            self._pause(self._backoff(attempt))

    @staticmethod
    def _raise_user_errors(payload, mutation):
        errors = [UserError.from_payload(e) for e in payload.get("userErrors") or ()]
        if errors:
            raise ShopifyUserErrors(
                f"{mutation}: " + "; ".join(e.message for e in errors),
                errors,
                operation=mutation,
            )


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


def _short(text, limit=200):
    text = (text or "").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "..."
