from __future__ import annotations

from typing import Literal

from ninja import Schema
from pydantic import Field, model_validator


class SuiteOut(Schema):
    slug: str
    name: str
    description: str
    latest_version: int | None
    item_count: int


class ImportIn(Schema):
    suite: str = Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field(default="", max_length=200)
    format: Literal["auto", "jsonl", "json", "csv", "yaml", "inspect", "openai_evals", "openai_registry", "promptfoo",
                    "input_target"] = "auto"
    default_grader: dict = Field(default_factory=dict)
    content: str = Field(default="", max_length=20 * 1024 * 1024)
    filename: str = Field(default="", max_length=300, description="helps detect the format (.csv, .json, ...)")
    files: dict[str, str] = Field(default_factory=dict, description="several files of one suite: {path: text}, e.g. "
                                  "a registry YAML and its samples JSONL, or a promptfoo config and its tests")
    map: str = Field(default="", max_length=1000, description="field mapping, e.g. question=input,answer=target")

    @model_validator(mode="after")
    def _one_source(self) -> ImportIn:
        if not self.content.strip() and not self.files:
            raise ValueError("content: give the file's content (or files)")
        if sum(len(t) for t in self.files.values()) > 50 * 1024 * 1024:
            raise ValueError("files: more than 50 MB in total")
        return self


class VersionOut(Schema):
    suite: str
    number: int
    item_count: int
    source_format: str
    locked: bool
    notes: list[str] = []


class RunIn(Schema):
    suite: str = Field(min_length=1, max_length=80)
    variant: str = Field(min_length=1, max_length=80)
    version: int | None = Field(default=None, ge=1, description="default: the newest version")
    concurrency: int | None = Field(default=None, ge=1, le=256, description="default: ENDPOINT_CONCURRENCY")
    timeout_s: float = Field(default=60.0, gt=0, le=600)
    max_retries: int = Field(default=4, ge=0, le=10)
    cache: bool = Field(default=True, description="reuse cached outputs of unchanged (item, variant) requests")


class RecordedIn(Schema):
    suite: str = Field(min_length=1, max_length=80)
    variant: str = Field(min_length=1, max_length=80)
    version: int | None = Field(default=None, ge=1)
    content: str = Field(min_length=1)


class ResultOut(Schema):
    item: str
    category: str
    output: str
    extracted: str
    score: float | None
    passed: bool | None
    explanation: str
    latency_ms: float
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: float
    samples: list
    error: str
    attempts: int
    finish_reason: str = ""
    tool_calls: list = []
    graders: list = []
    grader_usage: dict = {}
    cached: bool = False
