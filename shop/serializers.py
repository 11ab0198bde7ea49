from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from authsite import fields

from .models import (
    MAX_QUANTITY,
    MIN_QUANTITY,
    QUANTITY_ERROR,
    CartItem,
    Order,
    OrderLine,
    Product,
)


class ProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ("id", "name", "slug", "description", "price", "stock")
        read_only_fields = fields


class CartProductSerializer(serializers.ModelSerializer):
    class Meta:
        model = Product
        fields = ("id", "name", "slug", "price")
        read_only_fields = fields


class CartItemSerializer(serializers.ModelSerializer):
    product = CartProductSerializer(read_only=True)
    line_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, read_only=True
    )

    class Meta:
        model = CartItem
        fields = ("id", "product", "quantity", "line_total")
        read_only_fields = fields


class CartSerializer(serializers.Serializer):
    """Serialize a `CartContents`: the lines, the total and the units."""

    items = CartItemSerializer(many=True, read_only=True)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    count = serializers.IntegerField(read_only=True)


def quantity_field() -> fields.IntegerField:
    return fields.IntegerField(
        min_value=MIN_QUANTITY,
        max_value=MAX_QUANTITY,
        error_messages={
            "invalid": QUANTITY_ERROR,
            "min_value": QUANTITY_ERROR,
            "max_value": QUANTITY_ERROR,
            "max_string_length": QUANTITY_ERROR,
        },
    )


class AddCartItemSerializer(serializers.Serializer):
    # Only products for sale are found: an inactive one reads as unknown.
    product = fields.PrimaryKeyRelatedField(
        queryset=Product.objects.active(),
        error_messages={
            "does_not_exist": _("There is no product for sale with id {pk_value}."),
            "incorrect_type": _("Give the product's id as a whole number."),
        },
    )
    quantity = quantity_field()


class CartItemQuantitySerializer(serializers.Serializer):
    quantity = quantity_field()


class OrderLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = OrderLine
        fields = ("product", "product_name", "unit_price", "quantity", "line_total")
        read_only_fields = fields


class OrderSerializer(serializers.ModelSerializer):
    lines = OrderLineSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = ("id", "created", "total", "lines")
        read_only_fields = fields
