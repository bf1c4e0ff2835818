"""Signed unsubscribe links: an HMAC of the subscriber, checked in constant time.

The key is ``BRIEFINGS_SECRET``. When it is unset, a random secret is generated
once and kept in the state database, so ``send`` and ``serve`` on one machine agree
and a fresh install works; set ``BRIEFINGS_SECRET`` when they run on different hosts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from briefings.deliver.state import setting

if TYPE_CHECKING:
    import sqlite3

    from briefings.deliver.subscribers import Subscriber

_PURPOSE = b"briefings-unsubscribe-v1"


def secret(conn: sqlite3.Connection, *, configured: str | None = None) -> bytes:
    """The signing key: ``configured`` (``BRIEFINGS_SECRET``), or the one generated for
    this database."""
    if configured:
        return configured.encode()
    return setting(conn, "secret", secrets.token_urlsafe(32)).encode()


def sign(key: bytes, *, subscriber: int, address_key: str) -> str:
    """The token for one subscriber: URL-safe, 32 characters."""
    message = b"\0".join([_PURPOSE, str(subscriber).encode(), address_key.encode()])
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def verify(key: bytes, *, subscriber: int, address_key: str, token: str) -> bool:
    """Whether ``token`` was signed for this subscriber (constant-time comparison)."""
    expected = sign(key, subscriber=subscriber, address_key=address_key)
    return hmac.compare_digest(expected.encode(), token.encode("utf-8", "replace"))


def verify_reader(key: bytes, reader: Subscriber, token: str) -> bool:
    """Whether ``token`` is this reader's, also when it was signed before addresses were
    compared whole in lower case (links mailed then keep working)."""
    from briefings.deliver.subscribers import address_key, legacy_address_key

    return any(
        verify(key, subscriber=reader.id, address_key=k, token=token)
        for k in dict.fromkeys([address_key(reader.address), legacy_address_key(reader.address)])
    )


def token_for(key: bytes, reader: Subscriber) -> str:
    from briefings.deliver.subscribers import address_key

    return sign(key, subscriber=reader.id, address_key=address_key(reader.address))


def unsubscribe_path(key: bytes, reader: Subscriber) -> str:
    """The path of a reader's one-click unsubscribe link, below the public URL."""
    return f"/unsubscribe/{reader.id}/{token_for(key, reader)}"
