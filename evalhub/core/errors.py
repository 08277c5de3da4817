"""Domain exceptions: what services, selectors and routers raise when a request cannot be honoured.

They speak of the domain (not found, invalid, conflict, forbidden …), never of HTTP. ``evalhub/api.py``
turns each into one JSON body, ``ErrorOut`` (``evalhub.core.schemas``), with the status of ``HTTP_STATUS``:

    {"detail": "variant: no variant 'x'", "errors": [{"field": "variant", "message": "no variant 'x'"}]}

``errors`` always holds at least one entry; ``field`` is null when no single field is at fault. An entry
may add where the problem is: ``index`` (an event's position in a batch), ``line`` (a line of a file).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError


@dataclass(frozen=True)
class FieldError:
    field: str | None
    message: str
    index: int | None = None
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.index is not None:
            out["index"] = self.index
        if self.line is not None:
            out["line"] = self.line
        return out


class DomainError(Exception):
    """A refused request. ``field`` names the input at fault; ``errors`` lists several (kept as
    ``field_errors``); ``extra`` adds keys to the body (a refused second vote carries the stored ``vote``)."""

    def __init__(self, message: str, field: str | None = None, *, errors: Iterable[FieldError] = (),
                 **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.field_errors: tuple[FieldError, ...] = tuple(errors) or (FieldError(field, message),)
        self.extra = extra

    @property
    def detail(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class Invalid(DomainError):
    """The input is wrong: a field's value, a file's line, a request's shape."""

    @classmethod
    def from_django(cls, exc: DjangoValidationError) -> Invalid:
        """A Django ``ValidationError`` (a model's ``full_clean``, a service's check) naming its fields."""
        if hasattr(exc, "error_dict"):
            errors = [FieldError(None if field == NON_FIELD_ERRORS else field, " ".join(messages))
                      for field, messages in exc.message_dict.items()]
        else:
            errors = [FieldError(None, " ".join(exc.messages))]
        summary = "; ".join(f"{e.field}: {e.message}" if e.field else e.message for e in errors[:5])
        return cls(summary, errors=errors)


class NotFound(DomainError):
    """An object named in the path, query or body does not exist."""


class Forbidden(DomainError):
    """The caller may not do this (role, scope, another reviewer's comparison, a missing CSRF token)."""


class Conflict(DomainError):
    """The request is valid but the object's state refuses it (a judged comparison, a started experiment)."""


class TooLarge(DomainError):
    """The request is larger than a limit (a body, a batch)."""


class UnsupportedMediaType(DomainError):
    """The body comes in an encoding or type EvalHub does not read."""


class Unavailable(DomainError):
    """A dependency (the database) is down: nothing was stored, the client should retry."""


# The one table of HTTP statuses: the API's exception handlers (evalhub/api.py) and the OTLP receiver,
# which answers in its own wire format, both read it.
HTTP_STATUS: dict[type[DomainError], int] = {
    Invalid: 400, Forbidden: 403, NotFound: 404, Conflict: 409, TooLarge: 413, UnsupportedMediaType: 415,
    Unavailable: 503,
}


def http_status(exc: DomainError) -> int:
    return next((HTTP_STATUS[cls] for cls in type(exc).__mro__ if cls in HTTP_STATUS), 400)


def error_body(exc: DomainError) -> dict[str, Any]:
    """The ``ErrorOut`` body of a domain error."""
    return {"detail": exc.detail, "errors": [e.as_dict() for e in exc.field_errors], **exc.extra}
