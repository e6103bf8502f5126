"""What a failed Azure call says under NOT SCANNED: one short line, and whether it was a refusal."""

from __future__ import annotations

from azure.core.exceptions import (
    AzureError,
    HttpResponseError,
    ServiceRequestTimeoutError,
    ServiceResponseTimeoutError,
)

from aigov.live.guard import LiveCallError


def reason(exc: AzureError) -> str:
    """The status, ARM error code and message of a failed call, or what else stopped it."""
    if isinstance(exc, LiveCallError):
        return first_line(exc)
    if isinstance(exc, ServiceRequestTimeoutError | ServiceResponseTimeoutError):
        return f"no answer within the timeout, not retried ({first_line(exc)})"
    if isinstance(exc, HttpResponseError):
        code = getattr(exc.error, "code", None) if exc.error is not None else None
        message = getattr(exc.error, "message", None) if exc.error is not None else None
        parts = [str(exc.status_code or "")]
        if code:
            parts.append(f"{code}:")
        parts.append(message or exc.reason or "error")
        return " ".join(p for p in parts if p)
    return f"{type(exc).__name__}: {first_line(exc)}"


def first_line(exc: BaseException) -> str:
    """The first line of an exception's text (its type name when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def refused(exc: AzureError | None) -> bool:
    """True for a 401 or 403: the credential may not read that scope."""
    return isinstance(exc, HttpResponseError) and exc.status_code in {401, 403}
