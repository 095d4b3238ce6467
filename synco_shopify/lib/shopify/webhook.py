"""Shopify webhook signatures (``X-Shopify-Hmac-Sha256``).

Shopify signs the *raw* request body with the app's shared secret:
``base64(HMAC-SHA256(secret, body))``.  The check must run on the bytes as
received -- re-serialising parsed JSON changes whitespace and breaks it -- and
must compare in constant time so the signature cannot be guessed byte by byte
from response timings.
"""

import base64
import binascii
import hashlib
import hmac

HMAC_HEADER = "X-Shopify-Hmac-Sha256"


def sign(raw_body: bytes, secret: str) -> str:
    """Return the header value Shopify would send for ``raw_body``."""
    if isinstance(raw_body, str):
        raw_body = raw_body.encode()
    digest = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_hmac(raw_body: bytes, header_value: str | None, secret: str) -> bool:
    """True only if ``header_value`` is the valid signature of ``raw_body``.

    A missing, empty or non-base64 header is simply ``False`` (never an
    exception): the controller answers 401 either way.  An empty secret is
    refused too, since anyone can compute a signature with it.
    """
    if not header_value or not secret:
        return False
    if isinstance(raw_body, str):
        raw_body = raw_body.encode()
    try:
        received = base64.b64decode(header_value.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(secret.encode(), raw_body, hashlib.sha256).digest()
    return hmac.compare_digest(expected, received)
