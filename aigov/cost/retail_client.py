"""The HTTP side of ``aigov prices refresh``: pages of the Azure Retail Prices API.

One :class:`RetailClient` per refresh holds a ``requests`` session whose
adapter retries through urllib3's ``Retry``:

* 429 and 5xx answers and dropped connections are retried, at most
  ``attempts`` tries in all, with exponential backoff;
* a ``Retry-After`` header (seconds or an HTTP date) is honoured, but never
  beyond ``max_wait`` seconds: a service asking for an hour does not stall
  the command for an hour, it is asked again sooner and, if it still refuses,
  the command ends with one line;
* every page is read with a size bound, must be JSON with an ``Items`` list,
  and its ``NextPageLink`` is followed until it is null (bounded in pages).

Every failure is one :class:`~aigov.errors.CatalogError` line naming the API
URL (without its query) and what went wrong. The module imports ``requests``
and urllib3 at import time: only the refresh command imports it, a scan never
does.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from aigov.errors import CatalogError

PAGE_LIMIT: Final = 64 * 1024 * 1024  # bytes of one page; the API's pages are a few hundred KB
MAX_PAGES: Final = 500  # a guard against a NextPageLink that never ends
RETRIED_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
_KEPT: Final = "no catalogue written, the previous one stays in use"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How hard a refresh insists: tries per request, backoff and the longest wait it accepts."""

    attempts: int = 5  # tries per request, the first one included
    backoff: float = 1.0  # seconds; urllib3 doubles it after each failed retry
    max_wait: float = 60.0  # the longest Retry-After (and backoff) honoured, in seconds

    def retry(self) -> Retry:
        return _bounded_retry_class(self.max_wait)(
            total=self.attempts - 1,
            connect=self.attempts - 1,
            read=self.attempts - 1,
            status=self.attempts - 1,
            other=0,
            redirect=3,
            status_forcelist=RETRIED_STATUSES,
            allowed_methods=frozenset({"GET"}),
            backoff_factor=self.backoff,
            backoff_max=self.max_wait,
            respect_retry_after_header=True,
            raise_on_status=False,  # the last answer is returned and reported with its status
        )


def _bounded_retry_class(max_wait: float) -> type[Retry]:
    """A ``Retry`` whose Retry-After is capped at ``max_wait`` (urllib3 copies the class on each retry)."""

    class BoundedRetry(Retry):
        # Retry-After is honoured on every status retried, not only 413, 429 and 503.
        RETRY_AFTER_STATUS_CODES = RETRIED_STATUSES

        def parse_retry_after(self, retry_after: str) -> float:
            return min(super().parse_retry_after(retry_after), max_wait)

    return BoundedRetry


class RetailClient:
    """GET pages of the Retail Prices API through one retrying session."""

    def __init__(self, timeout: float, policy: RetryPolicy | None = None) -> None:
        self.timeout = timeout
        self.policy = policy or RetryPolicy()
        self._session = requests.Session()
        adapter = HTTPAdapter(max_retries=self.policy.retry())
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update({"Accept": "application/json", "User-Agent": "aigov"})

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> RetailClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def page(self, url: str) -> dict[str, Any]:
        """One API page as JSON; every failure is one CatalogError line."""
        origin = _origin(url)
        try:
            with self._session.get(url, timeout=(self.timeout, self.timeout), stream=True) as response:
                if response.status_code != 200:
                    status = response.status_code
                    tries = f" after {self.policy.attempts} tries" if status in RETRIED_STATUSES else ""
                    raise CatalogError(
                        f"Retail Prices API answered HTTP {status} {response.reason}{tries}; {_KEPT}",
                        file=origin,
                    )
                body = _bounded_body(response, origin)
        except requests.Timeout:
            raise CatalogError(
                f"cannot reach the Retail Prices API (no answer within {self.timeout:g} s); {_KEPT}",
                file=origin,
            ) from None
        except requests.ConnectionError as exc:
            raise CatalogError(
                f"cannot reach the Retail Prices API ({_reason(exc, self.timeout)}); {_KEPT}", file=origin
            ) from None
        except requests.RequestException as exc:
            raise CatalogError(f"Retail Prices API request failed ({exc}); {_KEPT}", file=origin) from None
        try:
            document = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise CatalogError(f"the Retail Prices API answer is not JSON; {_KEPT}", file=origin) from None
        if not isinstance(document, dict) or not isinstance(document.get("Items"), list):
            raise CatalogError(f"the Retail Prices API answer has no Items list; {_KEPT}", file=origin)
        return document

    def items(self, first_url: str, what: str) -> Iterator[dict[str, Any]]:
        """Every item from ``first_url`` on, following NextPageLink until it is null or empty."""
        url: str | None = first_url
        pages = 0
        while url:
            if not url.startswith(("http://", "https://")):
                raise CatalogError(
                    f"the API's NextPageLink is not an http(s) URL: {url[:80]}", file=_origin(first_url)
                )
            pages += 1
            if pages > MAX_PAGES:
                raise CatalogError(f"more than {MAX_PAGES} pages for {what}", file=_origin(first_url))
            page = self.page(url)
            for item in page["Items"]:
                if isinstance(item, dict):
                    yield item
            link = page.get("NextPageLink")
            url = link if isinstance(link, str) and link else None


def _bounded_body(response: requests.Response, origin: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=1 << 16):
        size += len(chunk)
        if size > PAGE_LIMIT:
            raise CatalogError(
                f"a Retail Prices API page is larger than {PAGE_LIMIT // (1024 * 1024)} MiB; {_KEPT}",
                file=origin,
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _reason(exc: requests.ConnectionError, timeout: float) -> str:
    # urllib3 wraps the last failure of a retried request: a read timeout is a timeout, not a refusal.
    cause = exc.args[0] if exc.args else None
    reason = getattr(cause, "reason", cause)
    if "timed out" in str(reason).casefold():
        return f"no answer within {timeout:g} s"
    if isinstance(reason, BaseException) and reason.args:
        text = str(reason.args[-1] if isinstance(reason.args[-1], str | BaseException) else reason)
        return text.split(": ", 1)[-1] if "NewConnectionError" in type(reason).__name__ else text
    return str(reason or exc)


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
