"""Who is calling the API: a personal access token (``Authorization: Bearer ccpl_pat_…``) or,
for the browsable reference, the browser's own session (with its CSRF check on every change)."""

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from ccpl import services
from ccpl.models import AccessToken

# Longer than any token the register makes: nothing longer is hashed or looked up.
MAX_SECRET_LENGTH = 80
REFUSED = "The token is not valid: it is unknown, expired or revoked."


class AccessTokenAuthentication(BaseAuthentication):
    """A personal access token, as a bearer token. An unknown, expired or revoked token, or one
    whose owner's account is deactivated, answers 401; each accepted request is recorded against
    the token (``AccessTokenUse``) and sets when it was last used."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Send the token as 'Authorization: Bearer ccpl_pat_…'.")
        try:
            secret = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(REFUSED) from None
        if not secret.startswith(services.TOKEN_PREFIX) or len(secret) > MAX_SECRET_LENGTH:
            raise AuthenticationFailed(REFUSED)
        token = (AccessToken.objects.select_related("user")
                 .filter(digest=services.token_digest(secret)).first())
        if token is None or not token.is_usable(timezone.now()) or not token.user.is_active:
            raise AuthenticationFailed(REFUSED)
        services.record_token_use(token=token, method=request.method,
                                  path=request.get_full_path(),
                                  ip_address=request.META.get("REMOTE_ADDR") or None)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'
