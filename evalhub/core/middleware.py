"""Request checks every view relies on: no NUL character in any text input, and a parseable body.

PostgreSQL text and jsonb cannot store NUL (``\\x00``); psycopg refuses such a parameter with an
exception the view never expected, so one stray ``%00`` would be a 500 anywhere. This middleware
looks once, before any view (and before CSRF, which reads the form), at the URL path, every query
parameter, every form field and file name, and every string (and key) of a JSON body, and answers
400 naming the first offending field. A ``multipart/form-data`` body without a boundary, or one
Django cannot parse, is 400 too instead of an exception inside whichever code reads ``request.POST``.

API paths (``/api/``) get the API's error body ``{"detail", "errors": [{"field", "message"}]}``;
pages get a short plain-text 400. Paths in ``settings.NUL_CHECK_EXEMPT_PATHS`` validate NUL
themselves (the event batch endpoints report every bad event by index in one answer).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError

from evalhub.core.errors import Invalid, TooLarge, error_body, http_status

NUL = "\x00"
ESCAPED_NUL = "\\u0000"
NUL_MESSAGE = "must not contain NUL (\\u0000) characters"


class BadInput(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def nul_paths(node: Any, path: str) -> Iterator[str]:
    """The path (``body.criteria.tone``) of every string or key holding a NUL, depth first."""
    if isinstance(node, str):
        if NUL in node:
            yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}"
            if NUL in key:
                yield f"{path}.{key.replace(NUL, ESCAPED_NUL)} (key)"
            else:
                yield from nul_paths(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from nul_paths(value, f"{path}.{index}")


def _check_json(body: bytes) -> None:
    # JSON carries NUL only as the escape \u0000 (or, invalidly, a raw byte): the byte search keeps
    # the common case (no NUL) to one scan; parsing happens only to name the field.
    if b"\\u0000" not in body and b"\x00" not in body:
        return
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        if b"\x00" in body:
            raise BadInput("body", NUL_MESSAGE) from None
        return  # malformed JSON: the view's parser answers 400 with line and column
    first = next(nul_paths(data, "body"), None)
    if first is not None:
        raise BadInput(first, NUL_MESSAGE)


def check_request(request: HttpRequest) -> None:
    """Raise ``BadInput`` naming the first field that holds a NUL or a body that cannot be parsed."""
    if NUL in request.path:
        raise BadInput("path", NUL_MESSAGE)
    for name, values in request.GET.lists():
        if NUL in name:
            raise BadInput("query", "parameter names " + NUL_MESSAGE)
        if any(NUL in value for value in values):
            raise BadInput(f"query.{name}", NUL_MESSAGE)
    if request.method in {"GET", "HEAD", "OPTIONS", "DELETE"} and not request.META.get("CONTENT_LENGTH"):
        return
    content_type = request.content_type or ""
    if content_type.startswith("multipart/") and not request.content_params.get("boundary"):
        raise BadInput("Content-Type", "multipart/form-data needs a boundary parameter")
    if content_type in {"multipart/form-data", "application/x-www-form-urlencoded"}:
        if request.path.startswith("/api/"):
            # Cache the raw body first: API views parse request.body, which Django refuses to give
            # once the form parser has consumed the stream.
            _ = request.body
        try:
            form, files = request.POST, request.FILES
        except MultiPartParserError as exc:
            raise BadInput("body", f"cannot parse the form body: {exc}") from None
        for name, values in form.lists():
            if NUL in name:
                raise BadInput("form", "field names " + NUL_MESSAGE)
            if any(NUL in value for value in values):
                raise BadInput(f"form.{name}", NUL_MESSAGE)
        for name, uploads in files.lists():
            if any(NUL in (upload.name or "") for upload in uploads):
                raise BadInput(f"form.{name}", "file names " + NUL_MESSAGE)
    elif content_type == "application/json" or content_type.endswith("+json"):
        _check_json(request.body)


class RejectBadInputMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.exempt = tuple(getattr(settings, "NUL_CHECK_EXEMPT_PATHS", ()))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not (self.exempt and request.path.startswith(self.exempt)):
            too_big = _too_big(request)
            if too_big is not None:
                return too_big
            try:
                check_request(request)
            except BadInput as exc:
                return bad_input_response(request, exc.field, exc.message)
        return self.get_response(request)


def _too_big(request: HttpRequest) -> HttpResponse | None:
    """API bodies over DATA_UPLOAD_MAX_MEMORY_SIZE are 413 before a byte is read (pages: Django's 400)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if limit is None or length <= limit or not request.path.startswith("/api/"):
        return None
    error = TooLarge(f"the body is {length:,} bytes; at most {limit:,} are accepted", "body")
    return JsonResponse(error_body(error), status=http_status(error))


def bad_input_response(request: HttpRequest, field: str, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        error = Invalid(message, field)  # outside ninja (before routing): the same body as evalhub/api.py's
        return JsonResponse(error_body(error), status=http_status(error))
    return HttpResponse(f"Bad request: {field} {message}.\n", status=400, content_type="text/plain; charset=utf-8")
