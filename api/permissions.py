"""What a caller may do with the API. What they may see or change is never decided here: every
endpoint starts from the same QuerySets as the pages (``visible_to``, ``editable_by``…)."""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from ccpl import access
from ccpl.models import AccessToken


class SignedInWithScope(BasePermission):
    """A signed-in, active user. A read-scope token reads only; a write-scope token (or the
    browser's session, with its CSRF check) may also call the endpoints that change the
    register."""

    message = "This token may only read: make a token that may read and change the register."

    def has_permission(self, request, view):
        if not access.is_signed_in(request.user):
            return False
        token = request.auth
        return not (isinstance(token, AccessToken) and token.scope == AccessToken.Scope.READ
                    and request.method not in SAFE_METHODS)
