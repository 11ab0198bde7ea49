from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MAX_QUANTITY, MIN_QUANTITY, QUANTITY_ERROR


class QuantityForm(forms.Form):
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
