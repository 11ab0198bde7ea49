"""The JSON API of the shop: a public catalogue, and each user's cart and orders."""

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import APIView

from jwt_sessions import assurance
from jwt_sessions.authentication import login_satisfies
from jwt_sessions.permissions import InsufficientUserAuthentication

from . import services
from .models import Cart, CartContents, CartItem, Order, Product
from .serializers import (
    AddCartItemSerializer,
    CartItemQuantitySerializer,
    CartItemSerializer,
    CartSerializer,
    OrderSerializer,
    ProductSerializer,
)


class ShopPagination(PageNumberPagination):
    page_size = 20


class CheckoutFailed(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "checkout_failed"


def cart_error(exc: DjangoValidationError) -> exceptions.ValidationError:
    """Answer a refusal of the cart model in the serializer's field-error shape."""
    return exceptions.ValidationError(as_serializer_error(exc))


class ProductListAPIView(generics.ListAPIView):
    """List the products for sale, 20 a page."""

    name = gettext_lazy("Products")
    permission_classes = [AllowAny]
    queryset = Product.objects.active()
    serializer_class = ProductSerializer
    pagination_class = ShopPagination


class ProductDetailAPIView(generics.RetrieveAPIView):
    """Show one product for sale; an inactive one is a 404."""

    name = gettext_lazy("Product")
    permission_classes = [AllowAny]
    queryset = Product.objects.active()
    serializer_class = ProductSerializer


class CartAPIView(APIView):
    """Show the user's cart: its items, the total and the number of units."""

    name = gettext_lazy("Your cart")

    @extend_schema(responses=CartSerializer)
    def get(self, request):
        return Response(CartSerializer(CartContents.of(request.user)).data)

    def get_view_description(self, html=False):
        """Describe the cart, and on its browsable page link where it changes."""
        description = super().get_view_description(html)
        if not html:
            return description
        items, checkout = reverse("api:cart-items"), reverse("api:checkout")
        return format_html(
            '{}<p>Add items with a POST to <a href="{}">{}</a>, then check out '
            'with a POST to <a href="{}">{}</a>.</p>',
            description,
            items,
            items,
            checkout,
            checkout,
        )


class CartItemListAPIView(APIView):
    """Add units of a product to the cart.

    201 with the new item when the product was not in the cart yet; 200 with
    the item when the units went onto its existing line (at most 99 in all).
    """

    name = gettext_lazy("Cart items")

    @extend_schema(
        request=AddCartItemSerializer,
        responses={201: CartItemSerializer, 200: CartItemSerializer},
    )
    def post(self, request):
        serializer = AddCartItemSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            item, created = services.add_to_cart(
                user=request.user, **serializer.validated_data
            )
        except DjangoValidationError as exc:
            raise cart_error(exc) from exc
        return Response(
            CartItemSerializer(item).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class CartItemAPIView(APIView):
    """Change the quantity of a line of the cart, or remove it (204)."""

    name = gettext_lazy("Cart item")

    @extend_schema(request=CartItemQuantitySerializer, responses=CartItemSerializer)
    def patch(self, request, pk):
        serializer = CartItemQuantitySerializer(data=request.data)
        # A line of someone else's cart is not found, whatever the body says.
        cart = get_object_or_404(
            CartItem.objects.select_related("cart"),
            pk=pk,
            cart__user_id=request.user.pk,
        ).cart
        serializer.is_valid(raise_exception=True)
        try:
            item = cart.set_quantity(pk, serializer.validated_data["quantity"])
        except CartItem.DoesNotExist:
            raise exceptions.NotFound() from None
        except DjangoValidationError as exc:
            raise cart_error(exc) from exc
        return Response(CartItemSerializer(item).data)

    @extend_schema(responses={204: None})
    def delete(self, request, pk):
        # Only adding creates a cart; without one there is no line to remove.
        cart = get_object_or_404(Cart, user_id=request.user.pk)
        try:
            cart.remove(pk)
        except CartItem.DoesNotExist:
            raise exceptions.NotFound() from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class CheckoutAPIView(APIView):
    """Turn the cart into an order (201), or answer 400 with the reason's code.

    An account whose email address is not verified is refused with 403
    `email_not_verified`: POST /api/email/verify/resend/ sends the link again.
    """

    name = gettext_lazy("Check out")

    @extend_schema(request=None, responses={201: OrderSerializer})
    def post(self, request):
        try:
            order = services.check_out(
                user=request.user,
                login_is_recent=login_satisfies(request, assurance.RECENT_LOGIN),
            )
        except services.StepUpRequired as exc:
            # RFC 9470's challenge: POST /api/reauthenticate/, then again.
            raise InsufficientUserAuthentication(
                assurance.RECENT_LOGIN,
                detail=_(
                    "Orders over %(limit)s need a recent login. Prove who you are "
                    "again (POST /api/reauthenticate/), then check out again."
                )
                % {"limit": settings.STEP_UP_CHECKOUT_OVER},
            ) from exc
        except services.EmailNotVerified as exc:
            # 403: the account may not order until it verifies its address
            # (POST /api/email/verify/resend/ sends the link again).
            raise exceptions.PermissionDenied(exc.message, code=exc.code) from exc
        except services.CheckoutError as exc:
            raise CheckoutFailed(exc.message, code=exc.code) from exc
        order = Order.objects.with_lines().get(pk=order.pk)
        return Response(OrderSerializer(order).data, status=status.HTTP_201_CREATED)


class OrderListAPIView(generics.ListAPIView):
    """List the user's own orders, newest first."""

    name = gettext_lazy("Your orders")
    serializer_class = OrderSerializer
    pagination_class = ShopPagination

    def get_queryset(self):
        return Order.objects.with_lines().filter(user_id=self.request.user.pk)


class OrderDetailAPIView(generics.RetrieveAPIView):
    """Show one of the user's own orders; anyone else's is a 404."""

    name = gettext_lazy("Order")
    serializer_class = OrderSerializer

    def get_queryset(self):
        return Order.objects.with_lines().filter(user_id=self.request.user.pk)
