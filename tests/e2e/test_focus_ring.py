"""The keyboard focus ring stands out from every background it is drawn on.

WCAG 2.2 1.4.11 (non-text contrast) and 2.4.13 (focus appearance) ask for
at least 3:1 between the focus indicator and what is next to it. The ring
is an outline drawn outside the element (outline-offset), so what is next
to it is the background the element sits on.
"""

import re

from playwright.sync_api import expect

from accounts.models import User
from shop.models import Cart, Product
from tests.helpers.clients import PASSWORD

from .helpers import account_menu, go_and_log_in

MINIMUM_CONTRAST = 3.0
RGB = re.compile(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)")

# The focused element's ring, and the first opaque background behind it.
FOCUSED = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const style = getComputedStyle(element);
  let behind = "rgb(255, 255, 255)";
  for (let box = element.parentElement; box; box = box.parentElement) {
    const color = getComputedStyle(box).backgroundColor;
    if (!/rgba\\(.*,\\s*0\\)$/.test(color) && color !== "transparent") {
      behind = color;
      break;
    }
  }
  const classes = [...element.classList].map((name) => "." + name).join("");
  return {
    name: element.tagName.toLowerCase() + classes + " " +
      (element.innerText || element.name || "").trim().slice(0, 30),
    outlineStyle: style.outlineStyle,
    outlineWidth: parseFloat(style.outlineWidth),
    outlineColor: style.outlineColor,
    behind,
  };
}"""


def luminance(color: str) -> float:
    """Return the WCAG relative luminance of a CSS rgb() color."""
    red, green, blue, alpha = RGB.fullmatch(color).groups()
    assert alpha in (None, "1"), f"{color} is not opaque"

    def linear(channel: str) -> float:
        value = float(channel) / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(one: str, other: str) -> float:
    lighter, darker = sorted((luminance(one), luminance(other)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_the_contrast_formula_is_wcags():
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 2) == 21
    assert round(contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)"), 2) == 4.54
    assert contrast("rgb(157, 181, 245)", "rgb(255, 255, 255)") < MINIMUM_CONTRAST


def tab_through(page, where: str, seen: dict) -> None:
    """Press Tab through the whole page, keeping what each focus ring shows."""
    page.locator("body").focus()
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None or focused["name"] in seen.get(where, {}):
            break
        seen.setdefault(where, {})[focused["name"]] = focused


def test_the_focus_ring_has_3_to_1_contrast_on_every_background(page, transactional_db):
    User.objects.create_user("keys@example.com", PASSWORD)
    mug = Product.objects.create(
        name="Enamel mug", slug="enamel-mug", price="12.50", stock=9
    )
    seen = {}

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("keys@example.com")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    tab_through(page, "the login page with an error", seen)

    go_and_log_in(page, "keys@example.com")
    Cart.objects.open_for(User.objects.get()).items.create(product=mug, quantity=2)
    for url in ["/dashboard/", "/", "/shop/cart/", "/accounts/sessions/"]:
        page.goto(url)
        tab_through(page, url, seen)
    page.goto("/accounts/login/")  # to someone logged in: on a tinted box
    tab_through(page, "the login page, logged in", seen)
    account_menu(page)
    tab_through(page, "the open account menu", seen)

    rings = [ring for rings in seen.values() for ring in rings.values()]
    # Enough to mean something: links, buttons, fields, on several grounds.
    assert len(rings) > 30
    assert len({ring["behind"] for ring in rings}) >= 3
    faint = [
        f"{where}: {ring['name']!r} {ring['outlineStyle']} {ring['outlineWidth']}px "
        f"{ring['outlineColor']} on {ring['behind']}: "
        f"{contrast(ring['outlineColor'], ring['behind']):.2f}:1"
        for where, rings in seen.items()
        for ring in rings.values()
        if ring["outlineStyle"] == "none"
        or ring["outlineWidth"] < 2
        or contrast(ring["outlineColor"], ring["behind"]) < MINIMUM_CONTRAST
    ]
    assert not faint, "Focus rings that do not stand out:\n" + "\n".join(faint)
