"""Webhook signature checks (``X-Shopify-Hmac-Sha256``).

The controller trusts a webhook only if this check passes, so each way a
forged or damaged request can look is covered: wrong signature, no header,
garbage header, a body altered after signing, another shop's secret.
"""

import base64
import hashlib
import hmac
import json

import pytest

from odoo.addons.synco_shopify.lib.shopify.webhook import sign, verify_hmac

SECRET = "shpss_0123456789abcdef"
BODY = json.dumps(
    {"id": 820982911946154508, "line_items": [{"sku": "SKU-1", "quantity": 2}]},
    separators=(",", ":"),
).encode()


def test_sign_matches_shopify_definition():
    """sign() is base64(HMAC-SHA256(secret, raw body)), computed independently."""
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), BODY, hashlib.sha256).digest()
    ).decode()
    assert sign(BODY, SECRET) == expected


def test_valid_signature_accepted():
    assert verify_hmac(BODY, sign(BODY, SECRET), SECRET) is True


def test_valid_signature_with_surrounding_whitespace_accepted():
    """Some proxies pad header values; the digest itself must still match."""
    assert verify_hmac(BODY, f" {sign(BODY, SECRET)} ", SECRET) is True


def test_invalid_signature_rejected():
    forged = base64.b64encode(b"\x00" * 32).decode()
    assert verify_hmac(BODY, forged, SECRET) is False


@pytest.mark.parametrize("header", [None, ""])
def test_missing_header_rejected(header):
    assert verify_hmac(BODY, header, SECRET) is False


@pytest.mark.parametrize("header", ["not base64!!", "abc", "====", "é"])
def test_garbled_header_rejected_without_exception(header):
    assert verify_hmac(BODY, header, SECRET) is False


def test_tampered_body_rejected():
    header = sign(BODY, SECRET)
    tampered = BODY.replace(b'"quantity":2', b'"quantity":20')
    assert tampered != BODY
    assert verify_hmac(tampered, header, SECRET) is False


def test_reserialised_body_rejected():
    """Checking parsed-then-dumped JSON instead of the raw bytes must fail."""
    header = sign(BODY, SECRET)
    reserialised = json.dumps(json.loads(BODY)).encode()  # adds spaces
    assert reserialised != BODY
    assert verify_hmac(reserialised, header, SECRET) is False


def test_wrong_secret_rejected():
    header = sign(BODY, "shpss_other_shop_secret")
    assert verify_hmac(BODY, header, SECRET) is False


def test_empty_secret_never_validates():
    """An unconfigured secret must not turn the check into a formality."""
    assert verify_hmac(BODY, sign(BODY, ""), "") is False


def test_uses_constant_time_comparison(monkeypatch):
    """The digest comparison goes through hmac.compare_digest."""
    from odoo.addons.synco_shopify.lib.shopify import webhook

    calls = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(webhook.hmac, "compare_digest", spy)
    assert verify_hmac(BODY, sign(BODY, SECRET), SECRET)
    assert len(calls) == 1
