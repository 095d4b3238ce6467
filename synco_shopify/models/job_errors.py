# Copyright 2026 Synco
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl).
"""How a job hands Shopify's transient failures to queue_job.

The client sorts failures by what the caller can do (``lib/shopify/errors``):
a :class:`ShopifyRetryableError` may succeed later and carries the wait
Shopify asked for (``Retry-After``, the throttle's refill time).  Every job
turns it into queue_job's ``RetryableJobError`` here and nowhere else, so the
wait Shopify asked for is always honoured and each job only says how long to
wait when Shopify said nothing.
"""

import contextlib
import math

from odoo.addons.queue_job.exception import RetryableJobError

from ..lib.shopify.errors import ShopifyCredentialsRefused, ShopifyRetryableError

# a job of a shop whose credentials Shopify refused looks again this often,
# without spending a retry, until the shop is reconnected
REFUSED_WAIT = 300


def retryable_job_error(exc, seconds=10):
    """The ``RetryableJobError`` for the Shopify failure ``exc``.

    :param seconds: the wait when Shopify suggested none
    :return: an exception to ``raise ... from exc``
    """
    if isinstance(exc, ShopifyCredentialsRefused):
        return RetryableJobError(str(exc), seconds=REFUSED_WAIT, ignore_retry=True)
    retry_after = getattr(exc, "retry_after", None)
    if retry_after:
        seconds = max(1, math.ceil(retry_after))
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
