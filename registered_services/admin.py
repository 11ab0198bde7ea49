"""The admin of registered services and of the events queued for them."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from jwt_sessions.admin import ReadOnlyAdmin

from .models import RegisteredService, ServiceEvent
from .services import RegistrationRefused, ensure_registration_possible


@admin.register(RegisteredService)
class RegisteredServiceAdmin(admin.ModelAdmin):
    """Register a service: its client secret is shown once, on saving it."""

    list_display = ("name", "audience", "events_url", "is_active", "client_id")
    # A bare host typed in the form becomes https://, never http://.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ("is_active",)
    search_fields = ("name", "audience", "client_id")
    readonly_fields = ("client_id", "last_seq", "created_at")
    fields = (
        "name",
        "audience",
        "events_url",
        "is_active",
        "client_id",
        "last_seq",
        "created_at",
    )

    def add_view(self, request, form_url="", extra_context=None):
        try:
            ensure_registration_possible()
        except RegistrationRefused as refused:
            messages.error(request, str(refused))
            raise PermissionDenied(str(refused)) from None
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            # Only its SHA-256 digest is kept; the secret itself lives in
            # this request until response_add shows it.
            obj.new_secret = obj.set_new_credentials()
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj, post_url_continue=None):
        """Show the secret once, in this answer's body (never stored).

        Not a message: messages ride in a cookie, which the browser keeps
        and sends back; this page is not cached either.
        """
        response = TemplateResponse(
            request,
            "admin/registered_services/registered.html",
            {
                **self.admin_site.each_context(request),
                "service": obj,
                "secret": obj.new_secret,
                "changelist_url": reverse(
                    "admin:registered_services_registeredservice_changelist"
                ),
                # The page's one heading (the admin's base template shows it).
                "title": _("Service %(name)s registered") % {"name": obj.name},
            },
        )
        add_never_cache_headers(response)
        return response


@admin.register(ServiceEvent)
class ServiceEventAdmin(ReadOnlyAdmin):
    """Every queued revocation event and how its delivery stands; read only."""

    list_display = (
        "service",
        "seq",
        "session_id",
        "user_id",
        "created_at",
        "attempts",
        "due_at",
        "delivered_at",
        "rejected_at",
        "last_error",
    )
    list_filter = (
        "service",
        ("delivered_at", admin.EmptyFieldListFilter),
        ("rejected_at", admin.EmptyFieldListFilter),
    )
    list_select_related = ("service",)
    search_fields = ("jti", "session_id", "user_id")
    # The claims only: an event is signed when it is sent, so nothing here
    # could be replayed as a token or an event.
    readonly_fields = (
        "service",
        "seq",
        "jti",
        "session_id",
        "user_id",
        "claims",
        "created_at",
        "expires_at",
        "due_at",
        "attempts",
        "delivered_at",
        "rejected_at",
        "last_error",
        "leased_until",
    )
