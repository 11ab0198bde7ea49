from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import MAX_QUANTITY, MIN_QUANTITY, QUANTITY_ERROR


class QuantityForm(forms.Form):
    """How many units, 1 to 99; with a product, no more than its stock."""

    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=MIN_QUANTITY,
        max_value=MAX_QUANTITY,
        initial=1,
        error_messages={
            "required": QUANTITY_ERROR,
            "invalid": QUANTITY_ERROR,
            "min_value": QUANTITY_ERROR,
            "max_value": QUANTITY_ERROR,
        },
    )

    def __init__(self, *args, product=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.product = product

    def clean(self):
        cleaned_data = super().clean()
        if self.product is not None and "quantity" in cleaned_data:
            try:
                self.product.validate_stock(cleaned_data["quantity"])
            except ValidationError as exc:
                self.add_error(None, exc)
        return cleaned_data
