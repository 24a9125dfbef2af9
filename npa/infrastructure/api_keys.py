"""Partners' API keys: made and stored without a web framework, so use cases can issue them."""

import hashlib
import secrets


def new_api_key() -> str:
    return "npa_" + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """API keys carry 256 random bits, so a plain SHA-256 is enough (no password stretching)."""
    return hashlib.sha256(key.encode()).hexdigest()
