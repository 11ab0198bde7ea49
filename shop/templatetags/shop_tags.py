from decimal import Decimal

from django import template

from ..models import CartItem

register = template.Library()


@register.inclusion_tag("shop/cart_summary.html")
def cart_summary(user):
    """Render the lines and total of the user's cart, for the dashboard."""
    # Read the lines alone, without Cart.objects.open_for(): looking at a
    # page must not create a cart.
    lines = list(
        CartItem.objects.filter(cart__user=user)
        .select_related("product")
        .order_by("product__name")
    )
    return {
        "lines": lines,
        "count": sum(line.quantity for line in lines),
        "total": sum((line.line_total for line in lines), Decimal("0.00")),
    }
