from decimal import Decimal

from django.conf import settings
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from authsite.commands import DatabaseCommand
from shop.models import Product

DEMO_USERS = (
    # (email, password, is_staff)
    ("demo@example.com", "demo-password-2026", False),
    ("staff@example.com", "staff-password-2026", True),
)

DEMO_PRODUCTS = (
    # (slug, name, price, stock, description)
    (
        "enamel-camp-mug",
        "Enamel camp mug",
        "14.00",
        40,
        "A 350 ml steel mug with a speckled enamel coat. Survives campfires, "
        "dishwashers and being dropped on rocks.",
    ),
    (
        "pour-over-coffee-dripper",
        "Pour-over coffee dripper",
        "24.50",
        25,
        "Ceramic cone dripper for size 02 filters. Makes one or two cups of "
        "clean, bright coffee.",
    ),
    (
        "hand-coffee-grinder",
        "Hand coffee grinder",
        "69.00",
        12,
        "Stainless steel conical burrs with 30 click settings, from espresso "
        "to French press.",
    ),
    (
        "merino-wool-beanie",
        "Merino wool beanie",
        "29.00",
        30,
        "Soft, warm and itch-free ribbed beanie knitted from fine merino wool.",
    ),
    (
        "canvas-tote-bag",
        "Canvas tote bag",
        "18.00",
        60,
        "Heavy 12 oz cotton canvas with long handles and an inside pocket.",
    ),
    (
        "a5-dotted-notebook",
        "A5 dotted notebook",
        "12.90",
        80,
        "192 numbered pages of 100 g/m² paper that fountain pens love, with a "
        "lay-flat binding.",
    ),
    (
        "brass-fountain-pen",
        "Brass fountain pen",
        "58.00",
        8,
        "A pocket pen machined from solid brass that darkens beautifully with "
        "use. Fine steel nib.",
    ),
    (
        "beeswax-candle",
        "Beeswax candle",
        "16.00",
        35,
        "Hand-poured pure beeswax pillar with a cotton wick; burns for about 40 hours.",
    ),
    (
        "linen-tea-towel",
        "Linen tea towel",
        "11.50",
        50,
        "Stonewashed European linen that dries glasses without lint.",
    ),
    (
        "cast-iron-skillet",
        "Cast iron skillet",
        "45.00",
        10,
        "A 26 cm pre-seasoned skillet for searing, baking and a lifetime of "
        "Sunday pancakes.",
    ),
    (
        "bamboo-cutting-board",
        "Bamboo cutting board",
        "22.00",
        20,
        "A sturdy 40 by 28 cm board with a juice groove, gentle on knife edges.",
    ),
    (
        "insulated-water-bottle",
        "Insulated water bottle",
        "32.00",
        1,
        "750 ml double-walled bottle: cold for 24 hours, hot for 12. The last "
        "one in stock.",
    ),
)


class Command(DatabaseCommand):
    help = (
        "Create (or reset) the demo user, the staff user and the demo products, "
        "and print the users."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the passwords are public).",
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with published passwords; with "
                "DJANGO_DEBUG=0 add --force if you really want them."
            )
        with transaction.atomic():
            for email, password, is_staff in DEMO_USERS:
                user, _ = User.objects.get_or_create(email=email)
                user.is_staff = user.is_superuser = is_staff
                user.is_active = True
                # Published accounts at example.com: no inbox to send a link
                # to, so they count as verified and can check out at once.
                user.email_verified_at = user.email_verified_at or timezone.now()
                user.set_password(password)
                user.save()
                role = "staff user" if is_staff else "demo user"
                self.stdout.write(f"  {role:<10} {email} / {password}")
            if getattr(settings, "MFA_REQUIRED_FOR_STAFF", True):
                self.stdout.write(
                    "  The admin asks staff for a second factor: set one up at "
                    "/accounts/security/ (or run with MFA_REQUIRED_FOR_STAFF=0)."
                )
            # Keyed by slug, so running it again resets the demo products
            # (price, stock, description) instead of adding copies.
            for slug, name, price, stock, description in DEMO_PRODUCTS:
                Product.objects.update_or_create(
                    slug=slug,
                    defaults={
                        "name": name,
                        "price": Decimal(price),
                        "stock": stock,
                        "description": description,
                        "is_active": True,
                    },
                )
        self.stdout.write(f"  {len(DEMO_PRODUCTS)} products in the shop")
