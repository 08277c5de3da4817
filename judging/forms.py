"""Forms for the engineers' campaign pages (validation only; writes go through judging.services)."""

from __future__ import annotations

from django import forms

from evalhub.core.models import ModelVariant, Prompt
from judging.models import PairDesign


class CampaignForm(forms.Form):
    name = forms.CharField(max_length=200)
    slug = forms.SlugField(max_length=80, required=False, help_text="blank: derived from the name")
    instructions = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False,
                                   help_text="shown to reviewers above every comparison (markdown)")
    variants = forms.ModelMultipleChoiceField(queryset=ModelVariant.objects.filter(is_active=True),
                                              widget=forms.CheckboxSelectMultiple)
    prompt_category = forms.ChoiceField(required=False, help_text="add existing prompts (or import JSONL later)")
    pair_design = forms.ChoiceField(choices=PairDesign.choices, initial=PairDesign.ALL)
    redundancy_k = forms.IntegerField(min_value=1, max_value=50, initial=3, label="Redundancy k",
                                      help_text="judgments per comparison, from distinct reviewers")
    criteria = forms.CharField(required=False, help_text="comma-separated, e.g. correctness, tone, safety")
    gold_rate = forms.FloatField(min_value=0, max_value=1, initial=0.05)
    reveal_after_vote = forms.BooleanField(required=False)
    lease_seconds = forms.IntegerField(min_value=10, max_value=86400, initial=600)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        categories = sorted(c for c in Prompt.objects.values_list("category", flat=True).distinct() if c)
        self.fields["prompt_category"].choices = [("", "— none —"), ("*", "all prompts")] + [(c, c) for c in categories]

    def clean_criteria(self) -> list[str]:
        return [c.strip() for c in self.cleaned_data["criteria"].split(",") if c.strip()]

    def prompts(self) -> list[Prompt] | None:
        category = self.cleaned_data.get("prompt_category")
        if not category:
            return None
        qs = Prompt.objects.all()
        return list(qs if category == "*" else qs.filter(category=category))


class PromptImportForm(forms.Form):
    file = forms.FileField(required=False, help_text="JSON Lines, one prompt per line")
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, label="or paste JSONL")

    def jsonl(self) -> str:
        upload = self.cleaned_data.get("file")
        if upload:
            return upload.read().decode("utf-8", errors="replace")
        return self.cleaned_data.get("text") or ""


class ExcludeForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False)
