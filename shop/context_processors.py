from django.db.models import Sum
from django.utils.functional import SimpleLazyObject

from .models import CartItem


def cart_summary(request):
    """Give every template the number of units in the user's cart."""

    def count_units() -> int:
        # Anonymous visitors have no cart: no query for them. Lazy, so a page
        # that never shows the count costs nothing either.
        if not request.user.is_authenticated:
            return 0
        return (
            CartItem.objects.filter(cart__user=request.user).aggregate(
                units=Sum("quantity")
            )["units"]
            or 0
        )

    return {"cart_count": SimpleLazyObject(count_units)}
