"""Reading ingestion request bodies safely: size limit before reading, optional gzip."""

from __future__ import annotations

import gzip
import zlib

from django.conf import settings
from django.http import HttpRequest

from evalhub.core.errors import Invalid, TooLarge, UnsupportedMediaType


def read_body(request: HttpRequest) -> bytes:
    """The request body, gunzipped if ``Content-Encoding: gzip``; ``TooLarge`` past ``TELEMETRY_MAX_BODY_BYTES``.

    The declared length is checked BEFORE the body is read, so an oversized upload costs nothing;
    a gzip body is inflated at most to the same limit (a zip bomb stops there).
    """
    limit = settings.TELEMETRY_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Invalid("Content-Length is not a number", "body") from None
    if declared > limit:
        raise TooLarge(f"request body of {declared} bytes exceeds the limit of {limit} bytes; send smaller batches", "body")
    body = request.body
    if len(body) > limit:
        raise TooLarge(f"request body exceeds the limit of {limit} bytes; send smaller batches", "body")
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in {"", "identity"}:
        return body
    if encoding not in {"gzip", "deflate"}:
        raise UnsupportedMediaType(f"unsupported Content-Encoding '{encoding}': use gzip or none", "body")
    inflater = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15)
    try:
        data = inflater.decompress(body, limit + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise Invalid(f"body is not valid {encoding}: {exc}", "body") from None
    if len(data) > limit:
        raise TooLarge(f"decompressed body exceeds the limit of {limit} bytes; send smaller batches", "body")
    return data
