from __future__ import annotations

import json

from django import forms
from django.conf import settings

from evalhub.core.models import ModelVariant, slug_validator
from experiments.suites.importers import ImportRejected, read_upload

FORMATS = [("auto", "Detect (from the file name, then the content)"),
           ("jsonl", "JSONL (EvalHub, inspect_ai, OpenAI evals samples or {input, target})"),
           ("json", "JSON array (EvalHub or inspect_ai)"), ("csv", "CSV (inspect_ai, or promptfoo tests)"),
           ("yaml", "YAML (EvalHub, promptfoo config or tests, OpenAI evals registry)")]
MAX_UPLOAD = 20 * 1024 * 1024


def _read_upload(upload, text: str) -> str:
    if upload is not None:
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(f"file: larger than {MAX_UPLOAD // (1024 * 1024)} MB")
        try:
            return upload.read().decode("utf-8").lstrip("\ufeff")
        except UnicodeDecodeError:
            raise forms.ValidationError("file: must be UTF-8 text") from None
    if not text.strip():
        raise forms.ValidationError("upload a file or paste its content")
    return text


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files of one suite (Django's documented pattern for ``multiple`` uploads)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class ImportForm(forms.Form):
    slug = forms.CharField(max_length=80, validators=[slug_validator], help_text="existing suite → new version")
    name = forms.CharField(max_length=200, required=False)
    format = forms.ChoiceField(choices=FORMATS, initial="auto")
    default_grader = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                     help_text='JSON, e.g. {"type": "numeric"}; items may override')
    field_map = forms.CharField(required=False, max_length=1000, label="Field mapping",
                                help_text="inspect FieldSpec style: question=input,answer=target")
    file = MultipleFileField(required=False, help_text="one suite file, or all files of one suite (a registry YAML "
                                                       "and its samples; a promptfoo config and its tests), or a zip")
    content = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}), help_text="or paste")

    def clean_default_grader(self) -> dict:
        raw = self.cleaned_data.get("default_grader", "").strip()
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(f"not valid JSON: {exc.msg}") from None
        if not isinstance(value, dict):
            raise forms.ValidationError("must be a JSON object")
        return value

    def clean(self) -> dict:
        data = super().clean()
        uploads = data.get("file") or []
        data["files"] = {}
        if uploads:
            if sum(u.size for u in uploads) > MAX_UPLOAD * 2:
                raise forms.ValidationError(f"file: larger than {2 * MAX_UPLOAD // (1024 * 1024)} MB in total")
            try:
                for upload in uploads:
                    data["files"].update(read_upload(upload.name, upload.read()))
            except ImportRejected as exc:
                raise forms.ValidationError(str(exc)) from None
            data["text"] = ""
        else:
            data["text"] = _read_upload(None, data.get("content", ""))
        return data


class LaunchForm(forms.Form):
    version = forms.TypedChoiceField(coerce=int)
    variants = forms.ModelMultipleChoiceField(queryset=ModelVariant.objects.filter(is_active=True),
                                              widget=forms.CheckboxSelectMultiple)
    concurrency = forms.IntegerField(min_value=1, max_value=256, initial=8)

    def __init__(self, *args, versions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [(v.number, f"v{v.number} ({v.item_count} items)") for v in versions]
        self.fields["concurrency"].initial = getattr(settings, "ENDPOINT_CONCURRENCY", 8)


class RecordedForm(forms.Form):
    version = forms.TypedChoiceField(coerce=int)
    variant = forms.ModelChoiceField(queryset=ModelVariant.objects.all())
    file = forms.FileField(required=False)
    content = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 6}))

    def __init__(self, *args, versions=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].choices = [(v.number, f"v{v.number}") for v in versions]

    def clean(self) -> dict:
        data = super().clean()
        data["text"] = _read_upload(data.get("file"), data.get("content", ""))
        return data


class HumanGradeForm(forms.Form):
    score = forms.FloatField(min_value=0.0, max_value=1.0)
    explanation = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
