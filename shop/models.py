from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models import Prefetch, Q
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

MIN_QUANTITY = 1
MAX_QUANTITY = 99


def _quantity_error() -> str:
    return gettext("Enter a quantity between %(min)d and %(max)d.") % {
        "min": MIN_QUANTITY,
        "max": MAX_QUANTITY,
    }


# One message for every way a quantity can be wrong, in forms, the API and
# here; translated when shown, not at import.
QUANTITY_ERROR = lazy(_quantity_error, str)()

quantity_validators = [
    MinValueValidator(MIN_QUANTITY),
    MaxValueValidator(MAX_QUANTITY),
]


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Product(models.Model):
    """Something for sale, with the price and the stock the shop holds."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(
        _("price"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.00"))],
    )
    stock = models.PositiveIntegerField(_("stock"), default=0)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive products are hidden and cannot be bought."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ("name", "pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="shop_product_price_not_negative"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("shop:product", kwargs={"slug": self.slug})

    @property
    def max_quantity(self) -> int:
        """Return the most units a cart line of this product may hold now."""
        return min(self.stock, MAX_QUANTITY)

    def validate_stock(self, quantity: int, *, in_cart: int = 0) -> None:
        """Refuse to put `quantity` more units in a cart that holds `in_cart`."""
        # Said when adding, so that the customer hears it then and not only at
        # checkout; checkout still checks, under a lock, as stock can drop.
        if in_cart + quantity <= self.stock:
            return
        if self.stock == 0:
            message = gettext("%(product)s is sold out.")
        elif in_cart:
            message = ngettext(
                "Only %(stock)d of %(product)s is left in stock, and you already "
                "have %(in_cart)d in your cart.",
                "Only %(stock)d of %(product)s are left in stock, and you already "
                "have %(in_cart)d in your cart.",
                self.stock,
            )
        else:
            message = ngettext(
                "Only %(stock)d of %(product)s is left in stock.",
                "Only %(stock)d of %(product)s are left in stock.",
                self.stock,
            )
        raise ValidationError(
            {
                "quantity": ValidationError(
                    message,
                    code="insufficient_stock",
                    params={
                        "stock": self.stock,
                        "product": self.name,
                        "in_cart": in_cart,
                    },
                )
            }
        )


class CartQuerySet(models.QuerySet):
    def open_for(self, user):
        """Return the user's cart to add to, creating it on the first add."""
        # Only adding calls this: reading a cart (a GET) must never create one,
        # and changing or removing a line needs a cart that is already there.
        cart, _created = self.get_or_create(user_id=user.pk)
        return cart


class Cart(models.Model):
    """The products a user means to buy; emptied, not closed, at checkout."""

    # One cart per user for good, rather than a status with a conditional
    # unique constraint: orders already keep the history, a closed cart would
    # only duplicate it, and the database then guarantees the single open
    # cart without any "which one is open" query.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="cart",
        verbose_name=_("user"),
    )
    updated = models.DateTimeField(_("updated"), auto_now=True)

    objects = CartQuerySet.as_manager()

    def __str__(self):
        return _("Cart of %(user)s") % {"user": self.user}

    def add(self, product: Product, quantity: int = 1) -> tuple["CartItem", bool]:
        """Add units of a product, to its existing line if there is one."""
        validate_quantity(quantity)
        if not product.is_active:
            raise ValidationError(
                {
                    "product": ValidationError(
                        _("%(product)s is no longer for sale."),
                        code="product_unavailable",
                        params={"product": product.name},
                    )
                }
            )
        with transaction.atomic():
            self._lock()
            item = self.items.filter(product=product).first()
            if item is None:
                product.validate_stock(quantity)
                item = self.items.create(product=product, quantity=quantity)
                return item, True
            if item.quantity + quantity > MAX_QUANTITY:
                raise ValidationError(
                    {
                        "quantity": ValidationError(
                            _(
                                "You can have at most %(max)d of %(product)s in "
                                "your cart, and you already have %(current)d."
                            ),
                            code="max_quantity",
                            params={
                                "max": MAX_QUANTITY,
                                "product": product.name,
                                "current": item.quantity,
                            },
                        )
                    }
                )
            product.validate_stock(quantity, in_cart=item.quantity)
            item.quantity += quantity
            item.save(update_fields=["quantity"])
            return item, False

    def set_quantity(self, item_id: int, quantity: int) -> "CartItem":
        """Set how many units a line of this cart holds."""
        validate_quantity(quantity)
        with transaction.atomic():
            self._lock()
            item = self.items.select_related("product").get(pk=item_id)
            item.product.validate_stock(quantity)
            item.quantity = quantity
            item.save(update_fields=["quantity"])
            return item

    def remove(self, item_id: int) -> "CartItem":
        """Remove a line from this cart and return it."""
        with transaction.atomic():
            self._lock()
            item = self.items.select_related("product").get(pk=item_id)
            item.delete()
            return item

    def _lock(self) -> None:
        # Every change to a cart, checkout included, first locks the cart row,
        # so two requests of one user can never interleave their changes.
        Cart.objects.select_for_update().filter(pk=self.pk).values_list("pk").get()


def validate_quantity(quantity: int) -> None:
    # bool is an int to Python, but True is not a quantity anyone typed.
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not MIN_QUANTITY <= quantity <= MAX_QUANTITY
    ):
        raise ValidationError(
            {"quantity": ValidationError(QUANTITY_ERROR, code="invalid_quantity")}
        )


class CartItemQuerySet(models.QuerySet):
    def in_cart_of(self, user):
        """Select the lines of the user's cart, with their products, as added."""
        return (
            self.filter(cart__user_id=user.pk).select_related("product").order_by("pk")
        )


class CartItem(models.Model):
    """One product in a cart, with how many units of it."""

    cart = models.ForeignKey(
        Cart, on_delete=models.CASCADE, related_name="items", verbose_name=_("cart")
    )
    product = models.ForeignKey(
        Product,
        on_delete=models.CASCADE,
        related_name="cart_items",
        verbose_name=_("product"),
    )
    quantity = models.PositiveSmallIntegerField(
        _("quantity"), default=1, validators=quantity_validators
    )

    objects = CartItemQuerySet.as_manager()

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.UniqueConstraint(
                fields=("cart", "product"), name="shop_cartitem_one_line_per_product"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=MIN_QUANTITY, quantity__lte=MAX_QUANTITY),
                name="shop_cartitem_quantity_1_to_99",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product}"  # noqa: RUF001

    @property
    def line_total(self) -> Decimal:
        return self.product.price * self.quantity


@dataclass(frozen=True)
class CartContents:
    """What a user's cart holds, read in one query without creating the cart."""

    items: list[CartItem]

    @classmethod
    def of(cls, user) -> "CartContents":
        # A user who never added anything has no cart row, and that reads as
        # an empty cart: a GET must not write one.
        return cls(items=list(CartItem.objects.in_cart_of(user)))

    @property
    def total(self) -> Decimal:
        return sum((item.line_total for item in self.items), Decimal("0.00"))

    @property
    def count(self) -> int:
        """Return the number of units in the cart (not of lines)."""
        return sum(item.quantity for item in self.items)


class OrderQuerySet(models.QuerySet):
    def with_lines(self):
        return self.prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.order_by("pk"))
        )


class Order(models.Model):
    """A checked-out cart: what was bought, at the prices of that moment."""

    # PROTECT: an order is an accounting record. A customer who leaves is
    # deactivated; deleting them must not silently erase what they bought.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("user"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    total = models.DecimalField(_("total"), max_digits=12, decimal_places=2)

    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ("-created", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0), name="shop_order_total_not_negative"
            ),
        ]

    def __str__(self):
        return _("Order %(number)s") % {"number": self.pk}

    def get_absolute_url(self):
        return reverse("shop:order", kwargs={"pk": self.pk})


class OrderLine(models.Model):
    """One product of an order, with its name and price copied at checkout."""

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    # PROTECT: a product that was sold is deactivated, never deleted.
    product = models.ForeignKey(
        Product,
        on_delete=models.PROTECT,
        related_name="order_lines",
        verbose_name=_("product"),
    )
    product_name = models.CharField(_("product name"), max_length=200)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    quantity = models.PositiveSmallIntegerField(
        _("quantity"), validators=quantity_validators
    )
    line_total = models.DecimalField(_("line total"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ("pk",)
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=MIN_QUANTITY, quantity__lte=MAX_QUANTITY),
                name="shop_orderline_quantity_1_to_99",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0),
                name="shop_orderline_unit_price_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product_name}"  # noqa: RUF001
