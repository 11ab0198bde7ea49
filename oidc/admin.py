from django.contrib import admin

from .models import Identity


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    list_display = ("user", "provider", "email", "created_at", "last_used_at")
    list_filter = ("provider",)
    search_fields = ("user__email", "email", "sub")
    raw_id_fields = ("user",)
    readonly_fields = ("provider", "sub", "created_at", "last_used_at")
