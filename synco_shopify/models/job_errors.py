# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How a job hands Shopify's transient failures to queue_job.

The client sorts failures by what the caller can do (``lib/shopify/errors``):
a :class:`ShopifyRetryableError` may succeed later and carries the wait
Shopify asked for (``Retry-After``, the throttle's refill time).  Every job
turns it into queue_job's ``RetryableJobError`` here and nowhere else, so the
wait Shopify asked for is always honoured and each job only says how long to
wait when Shopify said nothing.

Shopify unreachable (5xx, a timeout, a refused connection: not a throttle)
is an outage, not a fault of the job: the job waits at least
``OUTAGE_RETRY_SECONDS`` and runs again without spending
one of its retries, however long the outage lasts, so no job fails for good
because Shopify was down.  ``shopify.shop._cron_check_reachability`` tells
the human and brings the waiting jobs forward once Shopify answers again.
"""

import contextlib
import math

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.shopify.errors import (
    ShopifyCredentialsRefused,
    ShopifyRetryableError,
    ShopifyThrottledError,
)

# the least wait of a job while Shopify is unreachable (an outage)
OUTAGE_RETRY_SECONDS = 60
# a job of a shop whose credentials Shopify refused looks again this often,
# without spending a retry, until the shop is reconnected
REFUSED_WAIT = 300


def is_unreachable(exc):
    """Whether ``exc`` says Shopify can't be reached: an HTTP 5xx, a timeout
    or a network error (no status at all); a throttle is not one."""
    if not isinstance(exc, ShopifyRetryableError):
        return False
    if isinstance(exc, ShopifyThrottledError):
        return False
    return exc.status is None or exc.status >= 500


def retryable_job_error(exc, seconds=10, outage_seconds=OUTAGE_RETRY_SECONDS):
    """The ``RetryableJobError`` for the Shopify failure ``exc``.

    :param seconds: the wait when Shopify suggested none
    :param outage_seconds: the least wait while Shopify is unreachable (a
        push that lowers a level asks for less: decreases first)
    :return: an exception to ``raise ... from exc``
    """
    if isinstance(exc, ShopifyCredentialsRefused):
        return RetryableJobError(str(exc), seconds=REFUSED_WAIT, ignore_retry=True)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        seconds = max(1, math.ceil(retry_after))
    if is_unreachable(exc):
        # an outage: wait, spending no retry (see the module's docstring)
        return RetryableJobError(
            str(exc), seconds=max(seconds, outage_seconds), ignore_retry=True
        )
    return RetryableJobError(str(exc), seconds=seconds)


@contextlib.contextmanager
def shopify_retry(seconds=10):
    """Run the block; a transient Shopify failure runs the job again later.

    :param seconds: the wait when Shopify suggested none
    """
    try:
        yield
    except ShopifyRetryableError as exc:
        raise retryable_job_error(exc, seconds) from exc
