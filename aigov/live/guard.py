"""What a live scan's requests may do: go to the ARM endpoint only, and walk pages that end.

Two SDK pipeline policies, added to every client a scan builds:

* :class:`PinnedHostPolicy` runs on every attempt (after redirects and
  retries, before the bearer token is added) and refuses a request whose
  scheme, host or port is not the ARM endpoint's: a ``nextLink`` or a
  redirect naming another host never receives the token.
* :class:`PageWalkPolicy` runs once per call and, inside :func:`walk`, counts
  the pages of one paged listing: a page asked for twice (a ``nextLink`` or
  ``$skipToken`` that repeats) or more pages than the limit stops the walk.

Both raise a :class:`LiveCallError`, an :class:`~azure.core.exceptions.AzureError`
that the retry policy does not retry and the scan lists as not scanned.
A page the SDK or aigov cannot read (not JSON, the wrong shape) stops the
walk the same way (:class:`UnreadablePageError`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from azure.core.exceptions import AzureError, DecodeError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

DEFAULT_MAX_PAGES: Final = 1000
"""Pages one listing may take: 1,000 Resource Graph pages are a million resources."""

_DEFAULT_PORTS: Final = {"https": 443, "http": 80}


class LiveCallError(AzureError):
    """A call aigov stopped itself; its message is the reason shown under NOT SCANNED."""


class ForeignHostError(LiveCallError):
    """A request (a ``nextLink``, a redirect) aimed at a host other than the ARM endpoint."""


class RepeatedPageError(LiveCallError):
    """A paged listing asked for a page it had already read."""


class TooManyPagesError(LiveCallError):
    """A paged listing went on past the page limit."""


class UnreadablePageError(LiveCallError):
    """A page answered 200 with a body aigov cannot read."""


def origin(url: str) -> tuple[str, str, int]:
    """``(scheme, host, port)`` of ``url``, lower case, with the scheme's default port filled in."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme, 0)


class PinnedHostPolicy(SansIOHTTPPolicy[Any, Any]):
    """Refuses every request that does not go to ``endpoint`` (scheme, host and port)."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self._allowed = origin(endpoint)

    def on_request(self, request: PipelineRequest[Any]) -> None:
        scheme, host, port = origin(request.http_request.url)
        if (scheme, host, port) != self._allowed:
            raise ForeignHostError(
                f"a page or redirect pointed to {scheme}://{host}:{port}, not the ARM endpoint; "
                "the walk was stopped before the request was sent"
            )


@dataclass(slots=True)
class _Walk:
    max_pages: int
    pages: int = 0
    seen: set[str] = field(default_factory=set)


_current = threading.local()


@contextmanager
def walk(max_pages: int = DEFAULT_MAX_PAGES) -> Iterator[None]:
    """Count the requests made on this thread as the pages of one listing.

    Inside the block a request repeating an earlier one (method, URL and body)
    raises :class:`RepeatedPageError`, the request after ``max_pages`` raises
    :class:`TooManyPagesError`, and a page that cannot be decoded or has the
    wrong shape raises :class:`UnreadablePageError`.
    """
    previous = getattr(_current, "walk", None)
    _current.walk = _Walk(max_pages)
    try:
        yield
    except DecodeError as exc:
        raise UnreadablePageError(f"a page is not JSON: {_first_line(exc)}") from exc
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # The SDK's deserialiser (and json) raise ValueError subclasses on a body that is not the
        # documented shape; a wrong shape that slips past it fails in the reading code instead.
        raise UnreadablePageError(f"a page could not be read: {_first_line(exc)}") from exc
    finally:
        _current.walk = previous


class PageWalkPolicy(SansIOHTTPPolicy[Any, Any]):
    """Stops a :func:`walk` whose pages repeat or do not end (a no-op outside a walk)."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        current: _Walk | None = getattr(_current, "walk", None)
        if current is None:
            return
        http = request.http_request
        body = getattr(http, "content", None) or getattr(http, "body", None) or b""
        digest = hashlib.sha256(f"{http.method} {http.url}\n".encode() + _bytes(body)).hexdigest()
        if digest in current.seen:
            raise RepeatedPageError(
                f"the listing asked for page {current.pages + 1} that it had already read "
                "(a repeating nextLink or $skipToken); the walk was stopped"
            )
        if current.pages >= current.max_pages:
            raise TooManyPagesError(
                f"the listing did not end after {current.max_pages} pages; the walk was stopped"
            )
        current.seen.add(digest)
        current.pages += 1


def _bytes(body: Any) -> bytes:
    if isinstance(body, bytes):
        return body
    return str(body).encode()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__
