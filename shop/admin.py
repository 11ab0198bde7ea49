from django.contrib import admin

from .models import Cart, CartItem, Order, OrderLine, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "price", "stock", "is_active", "created")
    list_editable = ("stock",)
    list_filter = ("is_active",)
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class CartItemInline(admin.TabularInline):
    model = CartItem
    extra = 0
    autocomplete_fields = ("product",)


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ("user", "updated")
    search_fields = ("user__email",)
    list_select_related = ("user",)
    inlines = (CartItemInline,)
    raw_id_fields = ("user",)


class OrderLineInline(admin.TabularInline):
    """The lines as they were bought: they are a record, not a draft."""

    model = OrderLine
    extra = 0
    can_delete = False
    fields = ("product", "product_name", "unit_price", "quantity", "line_total")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("__str__", "user", "created", "total")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    date_hierarchy = "created"
    readonly_fields = ("user", "created", "total")
    inlines = (OrderLineInline,)
