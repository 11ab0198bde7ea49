"""Flows of the shop that span several models."""

from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .models import Cart, CartItem, Order, OrderLine, Product


def add_to_cart(*, user, product: Product, quantity: int) -> tuple[CartItem, bool]:
    """Add units of a product to the user's cart, making the cart on the first add.

    Return the line and whether it is new. A refused add (a bad quantity,
    more than 99 in one line or than the stock, a product withdrawn) raises
    `ValidationError` and leaves nothing behind, not even an empty cart.
    """
    with transaction.atomic():
        return Cart.objects.open_for(user).add(product, quantity)


class CheckoutError(Exception):
    """A checkout refused for a reason the customer can act on."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


class StepUpRequired(CheckoutError):
    """A checkout above STEP_UP_CHECKOUT_OVER on a login that is not recent."""


class EmailNotVerified(CheckoutError):
    """A checkout by an account whose email address is not verified yet."""


def check_out(*, user, login_is_recent: bool) -> Order:
    """Turn the user's cart into an order, or change nothing and say why.

    `login_is_recent` says whether the buyer proved who they are within
    STEP_UP_MAX_AGE (the view asks jwt_sessions); an order above
    STEP_UP_CHECKOUT_OVER needs it, decided on the cart as it is locked here,
    so a line added meanwhile cannot slip past. Only an account whose
    email address is verified may order: the order's receipt, and any
    password reset, must reach its owner and not a stranger's typo.
    """
    if not user.email_is_verified:
        raise EmailNotVerified(
            _(
                "Confirm your email address before you check out: open the link "
                "we sent to it, or ask for a new one."
            ),
            code="email_not_verified",
        )
    with transaction.atomic():
        # The cart first, then the products: every writer takes its locks in
        # this order, so two checkouts can wait for each other but never
        # deadlock.
        cart = Cart.objects.select_for_update().filter(user_id=user.pk).first()
        items = list(cart.items.order_by("pk")) if cart is not None else []
        if not items:
            raise CheckoutError(_("Your cart is empty."), code="empty_cart")
        # Locked in primary key order, whatever order the lines are in, for
        # the same reason. The stock read here cannot change until commit.
        products = {
            product.pk: product
            for product in Product.objects.select_for_update()
            .filter(pk__in=[item.product_id for item in items])
            .order_by("pk")
        }
        for item in items:
            product = products[item.product_id]
            if not product.is_active:
                raise CheckoutError(
                    _(
                        "%(product)s is no longer for sale. Remove it from your "
                        "cart to check out."
                    )
                    % {"product": product.name},
                    code="product_unavailable",
                )
            if product.stock < item.quantity:
                if product.stock == 0:
                    message = _("%(product)s is sold out.")
                else:
                    message = ngettext(
                        "Only %(stock)d of %(product)s is left in stock, and "
                        "your cart asks for %(quantity)d.",
                        "Only %(stock)d of %(product)s are left in stock, and "
                        "your cart asks for %(quantity)d.",
                        product.stock,
                    )
                raise CheckoutError(
                    message
                    % {
                        "stock": product.stock,
                        "product": product.name,
                        "quantity": item.quantity,
                    },
                    code="insufficient_stock",
                )
        lines = []
        for item in items:
            product = products[item.product_id]
            product.stock -= item.quantity
            # The price is the one in the database now, never one a client
            # sent or a page showed earlier.
            lines.append(
                OrderLine(
                    product=product,
                    product_name=product.name,
                    unit_price=product.price,
                    quantity=item.quantity,
                    line_total=product.price * item.quantity,
                )
            )
        total = sum((line.line_total for line in lines), Decimal("0.00"))
        if total > settings.STEP_UP_CHECKOUT_OVER and not login_is_recent:
            raise StepUpRequired(
                _(
                    "Orders over %(limit)s need you to confirm it's you. Enter "
                    "your password, then check out again."
                )
                % {"limit": settings.STEP_UP_CHECKOUT_OVER},
                code="step_up_required",
            )
        Product.objects.bulk_update(products.values(), ["stock"])
        order = Order.objects.create(user_id=user.pk, total=total)
        for line in lines:
            line.order = order
        OrderLine.objects.bulk_create(lines)
        cart.items.all().delete()
        return order
