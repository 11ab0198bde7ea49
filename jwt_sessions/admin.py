"""The admin of login sessions and of SimpleJWT's refresh-token records."""

import rest_framework_simplejwt.token_blacklist.admin  # noqa: F401
from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from rest_framework_simplejwt.token_blacklist.models import (
    BlacklistedToken,
    OutstandingToken,
)

from . import services
from .models import Session

# SimpleJWT's admin (imported above, so it has registered whatever the order
# of INSTALLED_APPS) shows OutstandingToken.token, a usable refresh token
# until accounts migration 0008, to whoever may view the records, and lets staff edit
# and delete blacklist entries. RefreshTokenRecordAdmin below lists both
# read-only, and shows no token even of a row that still held one.
admin.site.unregister(OutstandingToken)
admin.site.unregister(BlacklistedToken)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record staff may read and act on, but never add, edit or delete.

    Issued-token records are what the blacklist and purge_expired_sessions
    work from (which removes them once they have expired); a security log
    is evidence.
    """

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Session)
class SessionAdmin(ReadOnlyAdmin):
    """Every login, to read and to revoke: never deleted by hand.

    A deleted row would end its session without a word in the security
    log; the Revoke action ends it the one way sessions end.
    """

    list_display = (
        "user",
        "device",
        "ip_address",
        "created_at",
        "last_used_at",
        "expires_at",
        "revoked_at",
        "revoked_reason",
    )
    list_filter = ("revoked_reason", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("user__email", "ip_address")
    list_select_related = ("user",)
    # Claims for the grace interval: of no use to staff.
    exclude = ("successor_claims",)
    readonly_fields = [
        *(f.name for f in Session._meta.fields if f.name != "successor_claims"),
        "device",
    ]
    actions = ("revoke_sessions",)
    date_hierarchy = "created_at"

    @admin.action(description=_("Revoke the selected sessions"))
    def revoke_sessions(self, request, queryset):
        sessions = list(queryset.active().select_related("user"))
        for session in sessions:
            services.end_session(
                user=session.user,
                session_id=session.pk,
                request=request,
                reason=Session.RevokeReason.ADMIN,
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d session revoked; its tokens are refused from now on.",
                "%(count)d sessions revoked; their tokens are refused from now on.",
                len(sessions),
            )
            % {"count": len(sessions)},
            messages.SUCCESS,
        )


@admin.register(OutstandingToken)
class RefreshTokenRecordAdmin(ReadOnlyAdmin):
    """Every refresh token issued, by jti: who, when, until when, blacklisted."""

    list_display = ("jti", "user", "created_at", "expires_at", "blacklisted")
    search_fields = ("jti", "user__email")
    list_select_related = ("user", "blacklistedtoken")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    # Never "token" (see the unregister above).
    fields = ("jti", "user", "created_at", "expires_at", "blacklisted_at")
    readonly_fields = fields

    @admin.display(boolean=True, description=_("blacklisted"))
    def blacklisted(self, obj):
        return hasattr(obj, "blacklistedtoken")

    @admin.display(description=_("blacklisted at"))
    def blacklisted_at(self, obj):
        return obj.blacklistedtoken.blacklisted_at if self.blacklisted(obj) else None
