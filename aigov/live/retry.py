"""The retry policy of a live scan's SDK clients: bounded waits, one timeout per call.

The SDK's own :class:`~azure.core.pipeline.policies.RetryPolicy`, with three
changes so that a slow or throttling service delays the scan by a known
amount and never stalls it:

* a ``Retry-After`` longer than the cap (60 s by default) is not waited for:
  the call fails with :class:`RetryAfterTooLongError` and its scope is listed
  as not scanned;
* every method is retried on 408, 429 and 5xx, POST included: aigov's POSTs
  (Resource Graph, Policy Insights) are queries, and the SDK would otherwise
  not retry a Resource Graph 429 that came without ``Retry-After``;
* a timeout (connect or read) is not retried, so a silent endpoint costs one
  timeout per call, and as a scope's calls stop at its first failure, one per
  scope; neither are aigov's own refusals (:class:`~aigov.live.guard.LiveCallError`).
"""

from __future__ import annotations

from typing import Any

from azure.core.exceptions import ServiceRequestTimeoutError, ServiceResponseTimeoutError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy

from aigov.live.guard import LiveCallError


class RetryAfterTooLongError(LiveCallError):
    """The service asked to wait longer than the scan's cap."""


class BoundedRetryPolicy(RetryPolicy[Any, Any]):
    """:class:`RetryPolicy` with a ``Retry-After`` cap, POST retries, and no retry on timeouts."""

    def __init__(self, *, retry_after_max: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after_max = retry_after_max

    def _is_method_retryable(
        self, settings: dict[str, Any], request: Any, response: Any | None = None
    ) -> bool:
        return True

    def increment(
        self,
        settings: dict[str, Any],
        response: PipelineRequest[Any] | PipelineResponse[Any, Any] | None = None,
        error: Exception | None = None,
    ) -> bool:
        if isinstance(error, LiveCallError | ServiceRequestTimeoutError | ServiceResponseTimeoutError):
            return False
        return super().increment(settings, response=response, error=error)

    def sleep(
        self,
        settings: dict[str, Any],
        transport: Any,
        response: PipelineResponse[Any, Any] | None = None,
    ) -> None:
        if response is not None:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.retry_after_max:
                status = response.http_response.status_code
                raise RetryAfterTooLongError(
                    f"{status}: the service asked to retry after {wait:g} s, "
                    f"more than the {self.retry_after_max:g} s cap"
                )
        super().sleep(settings, transport, response=response)
