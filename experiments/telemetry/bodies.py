"""Reading ingestion request bodies safely: size limit before reading, optional gzip."""

from __future__ import annotations

import gzip
import zlib

from django.conf import settings
from django.http import HttpRequest


class BodyError(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message
        super().__init__(message)


def read_body(request: HttpRequest) -> bytes:
    """The request body, gunzipped if ``Content-Encoding: gzip``; 413 past ``TELEMETRY_MAX_BODY_BYTES``.

    The declared length is checked BEFORE the body is read, so an oversized upload costs nothing;
    a gzip body is inflated at most to the same limit (a zip bomb stops there).
    """
    limit = settings.TELEMETRY_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise BodyError(400, "Content-Length is not a number") from None
    if declared > limit:
        raise BodyError(413, f"request body of {declared} bytes exceeds the limit of {limit} bytes; send smaller batches")
    body = request.body
    if len(body) > limit:
        raise BodyError(413, f"request body exceeds the limit of {limit} bytes; send smaller batches")
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding in {"", "identity"}:
        return body
    if encoding not in {"gzip", "deflate"}:
        raise BodyError(415, f"unsupported Content-Encoding '{encoding}': use gzip or none")
    inflater = zlib.decompressobj(wbits=31 if encoding == "gzip" else 15)
    try:
        data = inflater.decompress(body, limit + 1)
    except (zlib.error, gzip.BadGzipFile) as exc:
        raise BodyError(400, f"body is not valid {encoding}: {exc}") from None
    if len(data) > limit:
        raise BodyError(413, f"decompressed body exceeds the limit of {limit} bytes; send smaller batches")
    return data
