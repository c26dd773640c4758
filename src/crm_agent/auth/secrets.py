"""Making and checking secrets: API keys, session tokens, CSRF tokens and password hashes.

API keys and session tokens are 256-bit random values, stored as their SHA-256 hex digest.
Passwords are hashed with scrypt (n=2**14, r=8, p=1) and a 16-byte salt; comparisons are
constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

KEY_PREFIX = "crm_"
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def new_api_key() -> str:
    """A new API key, e.g. ``crm_3q2...`` (shown once, never stored)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_token() -> str:
    """A new random session or CSRF token."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """SHA-256 hex digest of a high-entropy secret (API key or session token)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string comparison."""
    return hmac.compare_digest(a.encode(), b.encode())


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password`` in the form ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    derived = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    enc = base64.b64encode
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${enc(salt).decode()}${enc(derived).decode()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        derived = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), dklen=32, n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(derived, base64.b64decode(expected))
