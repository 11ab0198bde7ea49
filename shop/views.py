from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView, TemplateView, View

from jwt_sessions import assurance
from jwt_sessions.authentication import login_satisfies
from jwt_sessions.views import reauthenticate_url

from . import services
from .forms import QuantityForm
from .models import Cart, CartContents, CartItem, Order, Product


class ProductListView(ListView):
    """The shop window: every product for sale."""

    queryset = Product.objects.active()
    template_name = "shop/product_list.html"
    context_object_name = "products"
    paginate_by = 24


class ProductDetailView(DetailView):
    """One product, with a form to add it; `?quantity=` picks how many.

    `?quantity=3` is what a visitor chose before they had to log in (see
    `AddToCartView.get_login_next_url`): the page then offers to add exactly
    that, in one click. Reading it only fills in the form. The add itself is
    the form's POST with its CSRF token, so a link from another site cannot
    put anything in anyone's cart.
    """

    queryset = Product.objects.active()
    template_name = "shop/product_detail.html"
    context_object_name = "product"

    def get_context_data(self, **kwargs):
        form = QuantityForm(
            self.request.GET if "quantity" in self.request.GET else None,
            product=self.object,
        )
        chosen = form.cleaned_data["quantity"] if form.is_valid() else None
        return super().get_context_data(form=form, chosen_quantity=chosen, **kwargs)


class CartActionView(LoginRequiredMixin, View):
    """Base of the POST-only views that change the user's cart."""

    http_method_names = ["post"]

    def handle_no_permission(self):
        # A POST cannot be replayed after login, so `next` names a page (GET)
        # to come back to, never this endpoint (which would answer GET with
        # 405). There is no server-side session to park the form's data in.
        return redirect_to_login(self.get_login_next_url())

    def get_login_next_url(self) -> str:
        return reverse("shop:cart")

    def get_cart(self) -> Cart:
        """Return the user's cart; a line of a cart that is not there is a 404."""
        return get_object_or_404(Cart, user_id=self.request.user.pk)

    def report_errors(self, errors) -> None:
        for message in errors:
            messages.error(self.request, message)


class AddToCartView(CartActionView):
    def get_login_next_url(self):
        # What was chosen travels in `next` itself: back on the product page,
        # logged in, the visitor finds a button that adds exactly that, and
        # adds it with one click (a POST of their own, never a GET that writes).
        url = reverse("shop:product", kwargs={"slug": self.kwargs["slug"]})
        form = QuantityForm(self.request.POST)
        if form.is_valid():
            url += "?" + urlencode({"quantity": form.cleaned_data["quantity"]})
        return url

    def post(self, request, slug):
        product = get_object_or_404(Product.objects.active(), slug=slug)
        form = QuantityForm(request.POST)
        if not form.is_valid():
            self.report_errors(form.errors["quantity"])
            return redirect(product)
        quantity = form.cleaned_data["quantity"]
        try:
            services.add_to_cart(user=request.user, product=product, quantity=quantity)
        except ValidationError as exc:
            self.report_errors(exc.messages)
            return redirect(product)
        messages.success(
            request,
            # RUF001: the multiplication sign is meant, as on a receipt.
            _("Added %(quantity)d × %(product)s to your cart.")  # noqa: RUF001
            % {"quantity": quantity, "product": product.name},
        )
        return redirect("shop:cart")


class UpdateCartItemView(CartActionView):
    def post(self, request, pk):
        form = QuantityForm(request.POST)
        if not form.is_valid():
            # Still a 404 for a line that is not in this user's cart.
            get_object_or_404(CartItem, pk=pk, cart__user_id=request.user.pk)
            self.report_errors(form.errors["quantity"])
            return redirect("shop:cart")
        try:
            item = self.get_cart().set_quantity(pk, form.cleaned_data["quantity"])
        except CartItem.DoesNotExist:
            raise Http404(_("That item is not in your cart.")) from None
        except ValidationError as exc:
            self.report_errors(exc.messages)
            return redirect("shop:cart")
        messages.success(
            request,
            _("You now have %(quantity)d × %(product)s in your cart.")  # noqa: RUF001
            % {"quantity": item.quantity, "product": item.product.name},
        )
        return redirect("shop:cart")


class RemoveCartItemView(CartActionView):
    def post(self, request, pk):
        try:
            item = self.get_cart().remove(pk)
        except CartItem.DoesNotExist:
            raise Http404(_("That item is not in your cart.")) from None
        messages.success(
            request,
            _("Removed %(product)s from your cart.") % {"product": item.product.name},
        )
        return redirect("shop:cart")


class CheckoutView(CartActionView):
    def post(self, request):
        try:
            order = services.check_out(
                user=request.user,
                login_is_recent=login_satisfies(request, assurance.RECENT_LOGIN),
            )
        except services.EmailNotVerified as exc:
            # 403: this account may not order yet; the page says how to fix it.
            return render(
                request,
                "shop/checkout_needs_verified_email.html",
                {"message": exc.message},
                status=403,
            )
        except services.StepUpRequired as exc:
            # Asked again, then back at the cart, where "Check out" is.
            messages.info(request, exc.message)
            return redirect(reauthenticate_url(reverse("shop:cart")))
        except services.CheckoutError as exc:
            messages.error(request, exc.message)
            return redirect("shop:cart")
        messages.success(
            request,
            _("Thank you! Your order %(number)d is placed.") % {"number": order.pk},
        )
        return redirect(order)


class CartView(LoginRequiredMixin, TemplateView):
    template_name = "shop/cart.html"

    def get_context_data(self, **kwargs):
        cart = CartContents.of(self.request.user)
        return super().get_context_data(items=cart.items, total=cart.total, **kwargs)


class OrderListView(LoginRequiredMixin, ListView):
    template_name = "shop/order_list.html"
    context_object_name = "orders"
    paginate_by = 20

    def get_queryset(self):
        return Order.objects.filter(user_id=self.request.user.pk)


class OrderDetailView(LoginRequiredMixin, DetailView):
    template_name = "shop/order_detail.html"
    context_object_name = "order"

    def get_queryset(self):
        # Someone else's order is a 404, exactly like one that does not exist.
        return Order.objects.with_lines().filter(user_id=self.request.user.pk)
