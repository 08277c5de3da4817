from __future__ import annotations

from django import forms

from evalhub.failures.models import DimensionKind


class DimensionForm(forms.Form):
    name = forms.CharField(max_length=60, help_text="lower-case, e.g. route or customer_tier")
    kind = forms.ChoiceField(choices=DimensionKind.choices)
    key = forms.CharField(max_length=80, required=False, help_text="the metadata key or attribute read")
    description = forms.CharField(max_length=300, required=False)
