from django import template

from ..models import CartContents

register = template.Library()


@register.inclusion_tag("shop/cart_summary.html")
def cart_summary(user):
    """Render the lines and total of the user's cart, for the dashboard."""
    cart = CartContents.of(user)
    return {"lines": cart.items, "count": cart.count, "total": cart.total}
