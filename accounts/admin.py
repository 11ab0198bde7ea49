"""The admin of users and of the security log, with their Unlock actions."""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from jwt_sessions.admin import ReadOnlyAdmin

from . import lockout, services
from .models import SecurityEvent, User


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email",)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    ordering = ("email",)
    list_display = (
        "email",
        "email_verified_at",
        "is_active",
        "is_staff",
        "date_joined",
        "last_login",
    )
    list_filter = (
        "is_active",
        "is_staff",
        "is_superuser",
        ("email_verified_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("email",)
    readonly_fields = ("date_joined", "last_login")
    actions = ("unlock_accounts",)
    fieldsets = (
        (None, {"fields": ("email", "email_verified_at", "password")}),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "usable_password", "password1", "password2"),
            },
        ),
    )

    @admin.action(description=_("Unlock: forget their failed logins"))
    def unlock_accounts(self, request, queryset):
        emails = list(queryset.values_list("email", flat=True))
        for email in emails:
            lockout.unlock(email=email)
        self.message_user(
            request,
            ngettext(
                "%(count)d account unlocked: it may log in again at once.",
                "%(count)d accounts unlocked: they may log in again at once.",
                len(emails),
            )
            % {"count": len(emails)},
            messages.SUCCESS,
        )

    def user_change_password(self, request, id, form_url=""):
        # Django's view ends with update_session_auth_hash(), which needs a
        # server-side session; this site has none. Handle the successful
        # change here and leave the form and its errors to Django.
        user = self.get_object(request, unquote(id))
        if request.method != "POST" or user is None:
            return super().user_change_password(request, id, form_url)
        if not self.has_change_permission(request, user):
            return super().user_change_password(request, id, form_url)
        form = self.change_password_form(user, request.POST)
        valid_submission = form.is_valid() and (
            form.cleaned_data["set_usable_password"] or "unset-password" in request.POST
        )
        if not valid_submission:
            return super().user_change_password(request, id, form_url)
        # A password set by staff ends every session of the account when it
        # is saved, as any saved password change does; this names the request.
        services.expect_password_change(
            form.user, services.PasswordChange(request=request)
        )
        user = form.save()
        self.log_change(
            request, user, self.construct_change_message(request, form, None)
        )
        messages.success(
            request,
            _("Password changed successfully.")
            if user.has_usable_password()
            else _("Password-based authentication was disabled."),
        )
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:accounts_user_change", args=(user.pk,))
        )


@admin.register(SecurityEvent)
class SecurityEventAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "type", "user", "what", "ip_address", "device")
    list_filter = ("type",)
    search_fields = ("user__email", "type", "ip_address", "detail")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    actions = ("unlock_accounts_and_addresses",)

    @admin.action(description=_("Unlock the accounts and addresses of these events"))
    def unlock_accounts_and_addresses(self, request, queryset):
        targets = set(queryset.values_list("user__email", "ip_address"))
        for email, ip_address in targets:
            lockout.unlock(email=email, ip_address=ip_address)
        unlocked = sorted({value for pair in targets for value in pair if value})
        self.message_user(
            request,
            _("Unlocked: %(targets)s. They may try again at once.")
            % {"targets": ", ".join(unlocked) or _("nothing to unlock")},
            messages.SUCCESS,
        )

    @admin.display(description=gettext_lazy("what happened"))
    def what(self, event):
        return event.sentence

    @admin.display(description=gettext_lazy("device"))
    def device(self, event):
        return event.device
