"""Second factors in the admin: listed without their data, removable by staff.

Removing one is how staff answer a user who lost both their phone and
their recovery codes, once they have made sure who is asking; the removal
is in the user's security log like one made by the user.
"""

from django.contrib import admin, messages
from django.utils.translation import ngettext

from . import services
from .models import Authenticator


@admin.register(Authenticator)
class AuthenticatorAdmin(admin.ModelAdmin):
    list_display = ("user", "type", "name", "created_at", "last_used_at")
    list_filter = ("type",)
    search_fields = ("user__email",)
    # `data` (a sealed secret, hashes) is never shown, not even sealed.
    fields = ("user", "type", "name", "created_at", "last_used_at")
    readonly_fields = fields
    actions = ("remove_second_factors",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        # Only this action, which logs: Django's bulk delete would not.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None):
        # Through the action, which removes the codes with the app and logs.
        return False

    def has_remove_permission(self, request):
        return request.user.has_perm("mfa.delete_authenticator")

    @admin.action(
        description="Remove the second factors of the selected users",
        permissions=["remove"],
    )
    def remove_second_factors(self, request, queryset):
        users = {authenticator.user for authenticator in queryset}
        for user in users:
            services.remove_totp(request=request, user=user)
        self.message_user(
            request,
            ngettext(
                "Removed the second factors of %(count)d user.",
                "Removed the second factors of %(count)d users.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )
