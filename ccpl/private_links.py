"""Private links: the pieces every page reached from an e-mail without signing in shares (a 360°
rater's questionnaire, a leader's answer to the annual survey). docs/adr/0008 and 0014.

- A link's token is 256 bits from the operating system's CSPRNG; only its SHA-256 hash is
  stored, so no usable link is ever kept. The link is made when its e-mail is sent (the ledger
  asks the owning app for it by the row's object type and kind, ``ccpl.notification_registry``)
  and a fresh one replaces the last.
- What answers are filed under is named and ordered by random keys (``random_key``), never by
  ids or times, which follow the order people answered in.
- The page behind a link is never cached, indexed or named in a Referer header (``private``).
"""

import hashlib
import secrets

TOKEN_BYTES = 32  # 43 URL-safe characters: what the <token:…> converter expects
KEY_BYTES = 16  # 128 bits: two keys never meet


def hash_token(token):
    return hashlib.sha256(token.encode()).hexdigest()


def new_token():
    """A fresh private link token and the hash to store in its place."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def random_key():
    """A fresh key that names or orders an answer: drawn at random, it says nothing about when,
    or in what order, the answer was given."""
    return secrets.token_urlsafe(KEY_BYTES)


def token_fits(token):
    """Whether ``token`` could be a link's token at all (nothing longer reaches a lookup)."""
    return bool(token) and len(token) <= 100


def private(response):
    """The headers of a page reached by a private link."""
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response
