from django.urls import path

from . import api, views

app_name = "shop"

# The product list itself is the site's home page, "/" (see authsite/urls.py).
urlpatterns = [
    path("products/<slug:slug>/", views.ProductDetailView.as_view(), name="product"),
    path(
        "products/<slug:slug>/add/", views.AddToCartView.as_view(), name="add-to-cart"
    ),
    path("cart/", views.CartView.as_view(), name="cart"),
    path("cart/items/<int:pk>/", views.UpdateCartItemView.as_view(), name="cart-item"),
    path(
        "cart/items/<int:pk>/remove/",
        views.RemoveCartItemView.as_view(),
        name="cart-item-remove",
    ),
    path("cart/checkout/", views.CheckoutView.as_view(), name="checkout"),
    path("orders/", views.OrderListView.as_view(), name="orders"),
    path("orders/<int:pk>/", views.OrderDetailView.as_view(), name="order"),
]

api_urlpatterns = [
    path("products/", api.ProductListAPIView.as_view(), name="products"),
    path("products/<int:pk>/", api.ProductDetailAPIView.as_view(), name="product"),
    path("cart/", api.CartAPIView.as_view(), name="cart"),
    path("cart/items/", api.CartItemListAPIView.as_view(), name="cart-items"),
    path("cart/items/<int:pk>/", api.CartItemAPIView.as_view(), name="cart-item"),
    path("cart/checkout/", api.CheckoutAPIView.as_view(), name="checkout"),
    path("orders/", api.OrderListAPIView.as_view(), name="orders"),
    path("orders/<int:pk>/", api.OrderDetailAPIView.as_view(), name="order"),
]
