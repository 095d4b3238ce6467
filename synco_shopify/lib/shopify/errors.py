"""Exceptions raised by the Shopify client.

The split mirrors what a caller can do about a failure:

* :class:`ShopifyRetryableError` -- the same request may succeed later
  (network trouble, timeouts, HTTP 429, 5xx, ``THROTTLED``).  It carries the
  delay Shopify or the client suggests, so the Odoo job layer can turn it into
  queue_job's ``RetryableJobError(seconds=...)`` without guessing.
* :class:`ShopifyPermanentError` -- repeating the request cannot help
  (bad token, missing scope, invalid document, other 4xx).
* :class:`ShopifyUserErrors` -- Shopify accepted the request but refused some
  of its input; ``userErrors`` are kept with the index of the input item they
  belong to.
"""


class ShopifyError(Exception):
    """Base class of every error raised by :mod:`..shopify`."""

    def __init__(self, message, *, status=None, errors=None, operation=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.errors = errors or []
        self.operation = operation


class ShopifyRetryableError(ShopifyError):
    """A transient failure; ``retry_after`` is the suggested wait in seconds."""

    def __init__(self, message, *, retry_after=None, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ShopifyThrottledError(ShopifyRetryableError):
    """Shopify answered ``THROTTLED`` (GraphQL cost) or HTTP 429."""


class ShopifyPermanentError(ShopifyError):
    """A failure that the same request will meet again."""


class ShopifyAuthError(ShopifyPermanentError):
    """HTTP 401/403: wrong or revoked token, or a missing access scope."""


class ShopifyCredentialsRefused(ShopifyRetryableError):
    """Shopify refused the app's credentials (wrong or rotated client
    secret, revoked or uninstalled app, refresh token refused).

    Retryable for the job layer, but only once a human reconnects the shop:
    the client never retries it by itself, and a job postpones on it
    without spending a retry (``models/job_errors.py``).
    """

    def __init__(self, message, *, retry_after=300, **kwargs):
        super().__init__(message, retry_after=retry_after, **kwargs)


class ShopifyQueryError(ShopifyPermanentError):
    """The document was refused (GraphQL validation, unknown field, ...)."""


class ShopifyUserErrors(ShopifyError):
    """``userErrors`` of a mutation, each mapped back to its input item.

    ``user_errors`` is a list of :class:`UserError`.  ``item_index`` is the
    position of the offending input item in the list the caller passed (or
    ``None`` when the error concerns the whole call).
    """

    def __init__(self, message, user_errors, **kwargs):
        super().__init__(message, **kwargs)
        self.user_errors = list(user_errors)


class UserError:
    """One ``userErrors`` entry with the input item it designates."""

    __slots__ = ("code", "field", "item_index", "message")

    def __init__(self, message, code=None, field=None, item_index=None):
        self.message = message
        self.code = code
        self.field = list(field or [])
        self.item_index = item_index

    @classmethod
    def from_payload(cls, data, list_name=None):
        """Build from a GraphQL ``userErrors`` entry.

        ``field`` is a path such as ``["input", "quantities", "3", "quantity"]``;
        the element after ``list_name`` is the index of the input item.
        """
        field = data.get("field") or []
        index = None
        if list_name and list_name in field:
            pos = field.index(list_name)
            if pos + 1 < len(field):
                try:
                    index = int(field[pos + 1])
                except (TypeError, ValueError):
                    index = None
        return cls(data.get("message") or "", data.get("code"), field, index)

    def __repr__(self):
        return (
            f"UserError(code={self.code!r}, field={self.field!r}, "
            f"item_index={self.item_index!r}, message={self.message!r})"
        )

    def __eq__(self, other):
        if not isinstance(other, UserError):
            return NotImplemented
        return (self.code, self.field, self.item_index, self.message) == (
            other.code,
            other.field,
            other.item_index,
            other.message,
        )
