"""The registration form: experiment fields plus a fixed number of arm rows (blank rows ignored)."""

from __future__ import annotations

from typing import Any

from django import forms

from evalhub.core.models import ModelVariant
from experiments.abtests.metrics import metric_choices
from experiments.abtests.models import Correction, Unit

ARM_ROWS = 4


class ExperimentForm(forms.Form):
    name = forms.CharField(max_length=200)
    key = forms.SlugField(max_length=80, help_text="services send it as the event's `experiment`")
    hypothesis = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    unit = forms.ChoiceField(choices=Unit.choices, initial=Unit.USER)
    primary_metric = forms.ChoiceField(choices=metric_choices())
    guardrails = forms.MultipleChoiceField(choices=metric_choices(), required=False,
                                           widget=forms.CheckboxSelectMultiple)
    mde = forms.FloatField(initial=0.05, help_text="relative to control: 0.05 = detect a 5% change")
    alpha = forms.FloatField(initial=0.05)
    power = forms.FloatField(initial=0.8)
    correction = forms.ChoiceField(choices=Correction.choices, initial=Correction.HOLM)
    control = forms.ChoiceField(choices=[(str(i), f"arm {i + 1}") for i in range(ARM_ROWS)], initial="0",
                                widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        variants = [("", "—")] + [(v.slug, v.slug) for v in ModelVariant.objects.filter(is_active=True).order_by("slug")]
        for i in range(ARM_ROWS):
            self.fields[f"arm_{i}_name"] = forms.CharField(max_length=40, required=False,
                                                          initial=["control", "treatment", "", ""][i])
            self.fields[f"arm_{i}_variant"] = forms.ChoiceField(choices=variants, required=False)
            self.fields[f"arm_{i}_weight"] = forms.FloatField(required=False, initial=1.0 if i < 2 else None)

    def arm_rows(self) -> list[tuple[Any, Any, Any, int]]:
        return [(self[f"arm_{i}_name"], self[f"arm_{i}_variant"], self[f"arm_{i}_weight"], i) for i in range(ARM_ROWS)]

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        arms = []
        for i in range(ARM_ROWS):
            name, variant = data.get(f"arm_{i}_name"), data.get(f"arm_{i}_variant")
            if not name and not variant:
                continue
            weight = data.get(f"arm_{i}_weight")
            arms.append({"name": name, "variant": variant, "weight": 1.0 if weight is None else weight,
                         "is_control": data["control"] == str(i), "row": i})
        fields = ("name", "key", "hypothesis", "unit", "primary_metric", "guardrails", "mde", "alpha", "power",
                  "correction")
        return {**{f: data[f] for f in fields}, "arms": arms}

    def add_service_errors(self, errors: dict[str, list[str]], arms: list[dict]) -> None:
        """Map service field names (``arms.1.weight``) back onto the form's fields."""
        for field, messages in errors.items():
            target = None
            if field in self.fields:
                target = field
            elif field.startswith("arms.") and field.count(".") == 2:
                _, index, attr = field.split(".")
                if index.isdigit() and int(index) < len(arms):
                    candidate = f"arm_{arms[int(index)]['row']}_{attr}"
                    target = candidate if candidate in self.fields else None
            for message in messages:
                self.add_error(target, f"{field}: {message}" if target is None else message)
