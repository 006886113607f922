"""Single sign-on providers from the environment, read once by the settings module (so this
module imports nothing from Django's app registry).

``OIDC_PROVIDERS`` names the providers, e.g. ``entra,kings``; each name then has its own
variables: ``OIDC_<NAME>_ISSUER`` and ``OIDC_<NAME>_CLIENT_ID`` (required),
``OIDC_<NAME>_SECRET``, ``OIDC_<NAME>_LABEL`` (the button reads "Sign in with <label>"),
``OIDC_<NAME>_ALLOWED_DOMAINS`` (the only e-mail domains this provider may sign in) and
``OIDC_<NAME>_ACCEPT_MFA`` (whether its ``amr`` claim counts as the second factor; on unless
``0``). A missing or malformed value stops the register from starting, naming the variable.
"""

import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_NAME = re.compile(r"^[a-z][a-z0-9]{0,29}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def providers_from_environment(environ=None):
    """The ``APPS`` of allauth's OpenID Connect provider, one per name in ``OIDC_PROVIDERS``
    (an empty list when it is unset: the sign-in page then offers passwords only). Our own rules
    (allowed domains, trusting ``amr``) travel in each app's ``settings`` beside allauth's."""
    environ = os.environ if environ is None else environ
    names = [n.strip() for n in environ.get("OIDC_PROVIDERS", "").split(",") if n.strip()]
    apps = []
    for name in names:
        if not _NAME.match(name):
            raise ImproperlyConfigured(
                f"OIDC_PROVIDERS: {name!r} is not a provider name (lower-case letters and "
                "digits, starting with a letter, at most 30).")
        if name in (app["provider_id"] for app in apps):
            raise ImproperlyConfigured(f"OIDC_PROVIDERS names {name!r} twice.")
        apps.append(_provider(name, environ))
    return apps


def _provider(name, environ):
    prefix = f"OIDC_{name.upper()}_"

    def value(key, required=False):
        text = environ.get(prefix + key, "").strip()
        if required and not text:
            raise ImproperlyConfigured(f"{prefix}{key} must be set: {name!r} is in "
                                       "OIDC_PROVIDERS.")
        return text

    issuer = value("ISSUER", required=True).rstrip("/")
    parts = urlsplit(issuer)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ImproperlyConfigured(f"{prefix}ISSUER must be an https:// address, not "
                                   f"{issuer!r}.")
    domains = [d.strip().lower().lstrip("@") for d in value("ALLOWED_DOMAINS").split(",")
               if d.strip()]
    for domain in domains:
        if not _DOMAIN.match(domain):
            raise ImproperlyConfigured(f"{prefix}ALLOWED_DOMAINS: {domain!r} is not an e-mail "
                                       "domain.")
    accept_mfa = value("ACCEPT_MFA").lower() or "1"
    if accept_mfa not in _TRUE | _FALSE:
        raise ImproperlyConfigured(f"{prefix}ACCEPT_MFA must be 1 or 0, not {accept_mfa!r}.")
    return {
        "provider_id": name,
        "name": value("LABEL") or name.capitalize(),
        "client_id": value("CLIENT_ID", required=True),
        "secret": value("SECRET"),
        "settings": {
            "server_url": issuer,
            # Our own keys, read by ccpl.sso.
            "ccpl_allowed_domains": domains,
            "ccpl_accept_mfa": accept_mfa in _TRUE,
        },
    }


def form_action_sources(apps):
    """The providers' origins, which the sign-in form's redirect must be allowed to reach under
    the Content-Security-Policy's ``form-action``."""
    origins = []
    for app in apps:
        parts = urlsplit(app["settings"]["server_url"])
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in origins:
            origins.append(origin)
    return origins
