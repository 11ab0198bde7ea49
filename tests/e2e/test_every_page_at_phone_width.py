"""Every page of the site fits a 360 px wide phone screen: in a real browser."""

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.test import Client
from django.urls import (
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    resolve,
    reverse,
)
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from accounts import email_tokens
from accounts.models import User
from jwt_sessions.models import Session
from mfa.models import Authenticator
from oidc.models import Identity
from shop import services as shop_services
from shop.models import Cart, Product
from tests.helpers.clients import PASSWORD
from tests.helpers.second_factor import give_authenticator_app
from tests.helpers.users import create_user

from .helpers import go_and_log_in

# Long enough to find every place that would push a page sideways.
MEMBER = "rosalind.franklin-whitaker@laboratory.example.org"
STAFF = "staff@example.com"
NEWCOMER = "ada.lovelace-king.newcomer@analytical-engines.example.org"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
FIREFOX = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"
)

# URL names that are not pages a person opens: what each is instead.
NOT_PAGES = {
    "accounts:session-end": "a form's POST",
    "accounts:sessions-end-others": "a form's POST",
    "accounts:sessions-end-all": "a form's POST",
    "accounts:email-verify-resend": "a form's POST (the banner's button)",
    "mfa:totp-remove": "a form's POST",
    "mfa:recovery-codes": "a form's POST",
    "mfa:passkey-rename": "a form's POST",
    "mfa:passkey-remove": "a form's POST",
    "shop:add-to-cart": "a form's POST",
    "shop:cart-item": "a form's POST",
    "shop:cart-item-remove": "a form's POST",
    "shop:checkout": "a form's POST",
    "oidc:login": "a redirect to the identity provider",
    "oidc:link-start": "a form's POST",
    "oidc:identity-remove": "a form's POST",
    "api-schema": "a YAML file",
    "jwks": "a JSON file",
    "healthz": "a JSON file",
    "favicon": "an image",
    # A registered service's endpoints: JSON for its client credentials
    # (a browser that opens one asks for them, HTTP Basic).
    "api:introspect": "a service's POST (RFC 7662)",
    "api:events": "a service's poll (JSON)",
}

# How far the page reaches past the window's right edge, and what sticks out
# the furthest: an element's box, or a text too long to wrap inside it.
MEASURE = """() => {
  const width = window.innerWidth;
  let widest = null;
  const named = (element) =>
    element.tagName.toLowerCase() +
    [...element.classList].map((name) => "." + name).join("");
  const consider = (right, element, what) => {
    // What a scrolling or clipping box holds cannot push the page wider.
    for (let box = element; box && box !== document.body; box = box.parentElement) {
      if (getComputedStyle(box).overflowX !== "visible") {
        right = Math.min(right, box.getBoundingClientRect().right);
      }
    }
    if (right > width + 0.5 && (widest === null || right > widest.right)) {
      widest = {right, name: what + named(element)};
    }
  };
  for (const element of document.body.querySelectorAll("*")) {
    consider(element.getBoundingClientRect().right, element, "");
  }
  const texts = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  while (texts.nextNode()) {
    range.selectNodeContents(texts.currentNode);
    consider(range.getBoundingClientRect().right, texts.currentNode.parentElement,
             "the text of ");
  }
  // A fixed bar that grows taller on a narrow screen hides what is under it.
  const title = document.querySelector("h1");
  let covered = null;
  if (title) {
    const box = title.getBoundingClientRect();
    const there = document.elementFromPoint(box.left + 4, box.top + box.height / 2);
    if (there && !title.contains(there)) covered = named(there);
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    widest: widest && `${widest.name} reaches ${Math.round(widest.right)} px`,
    covered,
  };
}"""


def url_names(patterns=None, namespace="") -> set[str]:
    """Return the name of every URL of the site, with its namespace."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace and pattern.namespace != "admin":
                inner = f"{namespace}{pattern.namespace}:"
            if pattern.namespace != "admin":  # the admin is visited model by model
                names |= url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(namespace + pattern.name)
    return names


def admin_urls(staff: User) -> list[str]:
    """Return the admin's index, and each model's list, add and change pages."""
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        app, name = model._meta.app_label, model._meta.model_name
        urls.append(reverse("admin:app_list", args=(app,)))
        urls.append(reverse(f"admin:{app}_{name}_changelist"))
        urls.append(reverse(f"admin:{app}_{name}_add"))
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse(f"admin:{app}_{name}_change", args=(first.pk,)))
            urls.append(reverse(f"admin:{app}_{name}_history", args=(first.pk,)))
            urls.append(reverse(f"admin:{app}_{name}_delete", args=(first.pk,)))
    urls.append(reverse("admin:auth_user_password_change", args=(staff.pk,)))
    return list(dict.fromkeys(urls))


def log_in_elsewhere(email: str, user_agent: str) -> None:
    """Start one more session of `email`, as another browser would."""
    other = Client(HTTP_USER_AGENT=user_agent)
    response = other.post(
        reverse("accounts:login"), {"email": email, "password": PASSWORD}
    )
    assert response.status_code == 302


def a_shop_with_history() -> dict:
    """Make products, a member with an order, a full cart and three sessions."""
    products = Product.objects.bulk_create(
        [
            Product(
                name="Hand-thrown stoneware serving platter, extra large",
                slug="stoneware-serving-platter-extra-large",
                price="1249.00",
                stock=3,
                description="A very long description. " * 20,
            ),
            Product(name="Enamel mug", slug="enamel-mug", price="12.50", stock=40),
            Product(name="Fountain pen", slug="fountain-pen", price="58.00", stock=0),
        ]
    )
    member = create_user(MEMBER, PASSWORD)
    staff = User.objects.create_superuser(STAFF, PASSWORD)
    give_authenticator_app(staff)
    cart = Cart.objects.open_for(member)
    cart.items.create(product=products[0], quantity=2)
    cart.items.create(product=products[1], quantity=1)
    order = shop_services.check_out(user=member, login_is_recent=True)
    cart.items.create(product=products[0], quantity=12)
    cart.items.create(product=products[1], quantity=99)
    log_in_elsewhere(MEMBER, IPHONE)
    log_in_elsewhere(MEMBER, FIREFOX)
    return {"products": products, "member": member, "staff": staff, "order": order}


def reset_link(user: User) -> str:
    return reverse(
        "accounts:password_reset_confirm",
        args=(
            urlsafe_base64_encode(force_bytes(user.pk)),
            default_token_generator.make_token(user),
        ),
    )


@pytest.mark.error_pages(400, 401, 403, 404, 405)
@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_every_page_fits_a_phone_screen_without_sideways_scrolling(
    context_factory, acme
):
    site = a_shop_with_history()
    product, sold_out = site["products"][0], site["products"][2]
    member_session = Session.objects.filter(user=site["member"]).first()
    order, item = site["order"], site["member"].cart.items.first()

    anonymous = context_factory().new_page()
    member = context_factory().new_page()
    go_and_log_in(member, MEMBER)
    # After the password login (a passkey would make it ask for one): the
    # security page then lists it, with a name long enough to wrap.
    passkey = Authenticator.objects.create(
        user=site["member"],
        type=Authenticator.Type.WEBAUTHN,
        name="The phone in the drawer of the kitchen, with a long name",
        data={"credential_id": "AAAA", "public_key": "AAAA", "user_handle": "AA"},
    )
    # A provider linked, with an address as long as the account's.
    Identity.objects.create(
        user=site["member"], provider="acme", sub="rosalind", email=MEMBER
    )
    staff = context_factory().new_page()
    go_and_log_in(staff, STAFF)
    # Signed up, not verified yet: every page shows the banner.
    newcomer_user = create_user(NEWCOMER, verified=False)
    newcomer = context_factory().new_page()
    go_and_log_in(newcomer, NEWCOMER)
    change_link = reverse(
        "accounts:email-verify",
        args=(
            email_tokens.make_token(
                user=site["member"],
                purpose=email_tokens.CHANGE,
                email="rosalind.new-address@laboratory.example.org",
            ),
        ),
    )
    verify_link = reverse(
        "accounts:email-verify",
        args=(
            email_tokens.make_token(
                user=newcomer_user, purpose=email_tokens.VERIFY, email=NEWCOMER
            ),
        ),
    )

    pages = {
        anonymous: [
            reverse("home"),
            reverse("shop:product", args=(product.slug,)),
            reverse("shop:product", args=(sold_out.slug,)),
            reverse("accounts:login"),
            reverse("accounts:login") + "?next=/shop/orders/",
            reverse("accounts:signup"),
            reverse("accounts:logout"),
            reverse("accounts:password_reset"),
            reverse("accounts:password_reset_done"),
            reset_link(site["member"]),
            reverse("accounts:password_reset_confirm", args=("MQ", "no-such-token")),
            reverse("accounts:password_reset_complete"),
            change_link,
            verify_link,
            reverse("accounts:email-verify", args=("not-a-real-token",)),  # 400
            reverse("mfa:login-step"),  # no second step: back to the login
            reverse("oidc:callback", args=("acme",)),  # 400: no login under way
            reverse("oidc:link"),  # 400: no link waiting for a password
            reverse("rest_framework:login"),
            reverse("rest_framework:logout"),
            "/no/such/page/",
            reverse("api:products"),
            reverse("api:product", args=(product.pk,)),
            reverse("api:cart"),  # 401
            reverse("api-docs"),
        ],
        member: [
            reverse("home"),
            reverse("dashboard"),
            reverse("shop:product", args=(product.slug,)),
            reverse("shop:cart"),
            reverse("shop:orders"),
            reverse("shop:order", args=(order.pk,)),
            reverse("accounts:sessions"),
            reverse("accounts:password_change"),
            reverse("accounts:email-change"),
            reverse("mfa:security"),
            reverse("mfa:totp-setup"),
            reverse("mfa:passkey-add"),
            reverse("accounts:reauthenticate") + "?next=/accounts/password/change/",
            reverse("accounts:logout"),
            reverse("accounts:login"),
            reverse("accounts:signup"),
            reverse("accounts:password_reset"),
            reverse("admin:index"),  # 403: not staff
            "/shop/orders/999999/",  # 404
            reverse("api:me"),
            reverse("api:cart"),
            reverse("api:cart-items"),  # 405, with the POST form
            reverse("api:cart-item", args=(item.pk,)),
            reverse("api:checkout"),
            reverse("api:orders"),
            reverse("api:order", args=(order.pk,)),
            reverse("api:products"),
            reverse("api:product", args=(product.pk,)),
            reverse("api:sessions"),
            reverse("api:session", args=(member_session.pk,)),
            reverse("api:sessions-revoke-others"),
            reverse("api:sessions-revoke-all"),
            reverse("api:password-change"),
            reverse("api:reauthenticate"),
            reverse("api:token-mfa"),
            reverse("api:app-token-mfa"),
            reverse("api:mfa-totp"),
            reverse("api:mfa-totp-confirm"),
            reverse("api:mfa-recovery-codes"),
            reverse("api:passkeys"),
            reverse("api:passkey", args=(passkey.pk,)),
            reverse("api:passkey-register-options"),
            reverse("api:passkey-register"),
            reverse("api:passkey-login-options"),
            reverse("api:passkey-login"),
            reverse("api:passkey-reauthenticate-options"),
            reverse("api:passkey-reauthenticate"),
            reverse("api:app-passkey-login-options"),
            reverse("api:app-passkey-login"),
            reverse("api:register"),
            reverse("api:token"),
            reverse("api:token-refresh"),
            reverse("api:token-verify"),
            reverse("api:token-blacklist"),
            reverse("api:csrf"),
            reverse("api:app-token"),
            reverse("api:app-token-refresh"),
            reverse("api:app-token-blacklist"),
            reverse("api:oidc-nonce"),
            reverse("api:oidc-token", args=("acme",)),
            reverse("api:email-verify"),
            reverse("api:email-verify-resend"),
            reverse("api:email-change"),
            reverse("api-docs"),
        ],
        newcomer: [
            reverse("dashboard"),
            reverse("shop:cart"),
            reverse("mfa:security"),
            reverse("accounts:email-change"),
            verify_link,
        ],
        staff: admin_urls(site["staff"]),
    }

    visited = {
        f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
        for urls in pages.values()
        for url in urls
        if (match := _resolve(url)) is not None
    }
    unvisited = url_names() - visited - set(NOT_PAGES)
    assert not unvisited, f"Pages this test does not open yet: {sorted(unvisited)}"

    too_wide = []
    for page, urls in pages.items():
        who = {
            anonymous: "anonymous",
            member: "member",
            newcomer: "unverified",
            staff: "staff",
        }[page]
        for url in urls:
            page.goto(url)
            too_wide += _overflow(page, f"{url} ({who})")

    # The page that says a form expired (its CSRF cookie was gone).
    anonymous.goto(reverse("accounts:login"))
    # The page's passkey autofill asks for its options once the page has
    # loaded: let that finish, or the cookies go in the middle of it.
    anonymous.wait_for_load_state("networkidle")
    anonymous.context.clear_cookies()
    anonymous.get_by_label("Email").fill(MEMBER)
    anonymous.get_by_label("Password").fill(PASSWORD)
    anonymous.get_by_role("button", name="Log in").click()
    expect(anonymous.get_by_role("heading", level=1)).to_have_text(
        "This form has expired"
    )
    too_wide += _overflow(anonymous, "the expired form page (anonymous)")

    assert not too_wide, "Pages that do not fit a 360 px screen:\n" + "\n".join(
        too_wide
    )


def _resolve(url: str):
    try:
        return resolve(url.split("?")[0])
    except Resolver404:
        return None


def _overflow(page, where: str) -> list[str]:
    """Say what does not fit the window on the page, if anything."""
    size = page.evaluate(MEASURE)
    problems = []
    excess = size["scrollWidth"] - size["innerWidth"]
    if excess > 0:
        problems.append(f"{where}: {excess} px too wide; {size['widest']}")
    if size["covered"]:
        problems.append(f"{where}: its title is hidden under a {size['covered']}")
    return problems
