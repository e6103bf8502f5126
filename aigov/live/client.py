"""The real Azure SDK clients a live scan uses, all aimed at one ARM endpoint.

One :class:`ClientFactory` per scan builds the subscription, Resource Graph,
Cognitive Services, Monitor and Policy Insights clients, and the Azure Monitor
batch metrics client (``azure-monitor-querymetrics``' ``MetricsClient``, one
per region, aimed at :class:`MetricsEndpoint`), with:

* ``base_url`` = the ARM endpoint (``--arm-endpoint``: public cloud by
  default, a sovereign cloud, or the test suite's local fake) and the
  credential scope that goes with it; the metrics client's endpoint is the
  account's regional one (``--metrics-endpoint`` overrides it);
* the SDK's retry policy, bounded (:mod:`aigov.live.retry`: 408, 429 and 5xx
  retried with backoff, ``Retry-After`` honoured up to a cap, no retry on a
  timeout), and the connect and read timeouts;
* the request guards of :mod:`aigov.live.guard`: every request goes to the
  client's own endpoint or is refused before the token is added, and paged listings
  stop on a repeated page or past the page limit;
* one shared HTTP connection pool sized for the scan's workers;
* a request hook that counts every HTTP attempt by kind (:class:`CallLog`),
  which the benchmark prints and the tests assert on.

TLS is always verified; a private CA is trusted through the standard
``REQUESTS_CA_BUNDLE`` / ``SSL_CERT_FILE`` variables.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse
from azure.mgmt.carbonoptimization import CarbonOptimizationMgmtClient
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.core.exceptions import ARMErrorFormat
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.policyinsights import PolicyInsightsClient
from azure.mgmt.reservations import ReservationsMgmtClient
from azure.mgmt.resource.subscriptions import SubscriptionClient
from azure.mgmt.resourcegraph import ResourceGraphClient
from azure.monitor.querymetrics import MetricsClient
from requests import PreparedRequest
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from aigov.errors import AigovError
from aigov.live.guard import DEFAULT_MAX_PAGES, PageWalkPolicy, PinnedHostPolicy
from aigov.live.retry import BoundedRetryPolicy

PUBLIC_ARM: Final = "https://management.azure.com"

# ARM endpoint host -> the token audience it expects (azure-mgmt-core's get_arm_endpoints).
_KNOWN_SCOPES: Final = {
    "management.azure.com": "https://management.azure.com/.default",
    "management.usgovcloudapi.net": "https://management.core.usgovcloudapi.net/.default",
    "management.chinacloudapi.cn": "https://management.chinacloudapi.cn/.default",
}


@dataclass(frozen=True, slots=True)
class ArmEndpoint:
    """An ARM endpoint and the credential scope its tokens are issued for."""

    url: str
    scope: str

    @staticmethod
    def parse(url: str | None, scope: str | None = None) -> ArmEndpoint:
        """``https://host[:port]`` (default: public Azure); the scope defaults to the cloud's audience.

        Raises :class:`AigovError` for anything that is not an https URL: ARM
        calls carry a bearer token and are never sent in clear text.
        """
        text = (url or PUBLIC_ARM).rstrip("/")
        parts = urlsplit(text)
        if parts.scheme != "https" or not parts.hostname:
            raise AigovError(f"--arm-endpoint must be an https URL such as {PUBLIC_ARM}, not {url!r}")
        if parts.path or parts.query or parts.fragment:
            raise AigovError(f"--arm-endpoint takes a scheme, host and port only, not {url!r}")
        audience = _KNOWN_SCOPES.get(parts.hostname.lower(), f"{parts.scheme}://{parts.netloc}/.default")
        return ArmEndpoint(text, scope or audience)


PUBLIC_METRICS: Final = "https://{region}.metrics.monitor.azure.com"
REGION_FIELD: Final = "{region}"

# Batch metrics host suffix -> the token audience it expects (azure-monitor-querymetrics' `audience`).
_METRICS_AUDIENCES: Final = {
    ".metrics.monitor.azure.com": "https://metrics.monitor.azure.com/.default",
    ".metrics.monitor.azure.us": "https://metrics.monitor.azure.us/.default",
    ".metrics.monitor.azure.cn": "https://metrics.monitor.azure.cn/.default",
}


@dataclass(frozen=True, slots=True)
class MetricsEndpoint:
    """The Azure Monitor batch metrics endpoint of each region, and the scope its tokens are issued for.

    ``template`` is an https URL in which ``{region}`` stands for the
    accounts' region (``eastus``); without it, every region goes to the same host.
    """

    template: str
    scope: str

    @staticmethod
    def parse(template: str | None) -> MetricsEndpoint:
        """``--metrics-endpoint`` (default: the public regional endpoints); raises :class:`AigovError`."""
        text = (template or PUBLIC_METRICS).rstrip("/")
        sample = text.replace(REGION_FIELD, "eastus")
        parts = urlsplit(sample)
        if parts.scheme != "https" or not parts.hostname or "{" in sample or "}" in sample:
            raise AigovError(
                f"--metrics-endpoint must be an https URL such as {PUBLIC_METRICS} "
                f"(only {{region}} may be filled in), not {template!r}"
            )
        if parts.query or parts.fragment:
            raise AigovError(f"--metrics-endpoint takes no query or fragment, not {template!r}")
        host = parts.hostname.lower()
        scope = next(
            (aud for suffix, aud in _METRICS_AUDIENCES.items() if host.endswith(suffix)),
            f"https://{text.split('://', 1)[1].split('/', 1)[0].replace(REGION_FIELD + '.', '')}/.default",
        )
        return MetricsEndpoint(text, scope)

    def for_region(self, region: str) -> str:
        """The endpoint of ``region`` (normalised as ARM writes it: ``East US`` -> ``eastus``)."""
        return self.template.replace(REGION_FIELD, normalise_region(region))


def normalise_region(region: str) -> str:
    """A region as ARM's ``location`` writes it: lower case, no spaces."""
    return region.replace(" ", "").lower()


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """How hard a call is tried and how long it may take.

    ``Retry-After`` from the service overrides the computed backoff up to
    ``retry_after_max`` seconds; a longer one fails the call. A timeout is
    not retried: ``connection_timeout`` + ``read_timeout`` bound what a
    silent endpoint costs a scope. ``max_pages`` bounds one paged listing.
    """

    total: int = 6
    backoff_factor: float = 0.8  # seconds; doubled on each attempt
    backoff_max: float = 60.0
    connection_timeout: float = 20.0
    read_timeout: float = 60.0
    retry_after_max: float = 60.0
    max_pages: int = DEFAULT_MAX_PAGES


# Path patterns -> call kind, most specific first. Kinds name what aigov asked for.
_KINDS: Final = (
    ("metrics_batch", re.compile(r"/subscriptions/[^/]+/metrics:getbatch$", re.I)),
    ("metric_definitions", re.compile(r"/providers/microsoft\.insights/metricdefinitions$", re.I)),
    ("metrics", re.compile(r"/providers/microsoft\.insights/metrics$", re.I)),
    ("policy_states", re.compile(r"/providers/microsoft\.policyinsights/policystates/", re.I)),
    ("resource_graph", re.compile(r"^/providers/microsoft\.resourcegraph/resources$", re.I)),
    ("deployments", re.compile(r"/accounts/[^/]+/deployments$", re.I)),
    ("online_deployments", re.compile(r"/workspaces/[^/]+/onlineendpoints/[^/]+/deployments$", re.I)),
    ("online_endpoints", re.compile(r"/workspaces/[^/]+/onlineendpoints$", re.I)),
    ("serverless_endpoints", re.compile(r"/workspaces/[^/]+/serverlessendpoints$", re.I)),
    ("subscriptions", re.compile(r"^/subscriptions/?$", re.I)),
    ("carbon", re.compile(r"^/providers/microsoft\.carbon/", re.I)),
    ("reservations", re.compile(r"^/providers/microsoft\.capacity/reservations$", re.I)),
    (
        "management_groups",
        re.compile(r"^/providers/microsoft\.management/managementgroups/[^/]+/descendants$", re.I),
    ),
)


def call_kind(path: str) -> str:
    """The kind of ARM call a request path is (``other`` when aigov does not know it)."""
    for kind, pattern in _KINDS:
        if pattern.search(path):
            return kind
    return "other"


_ERROR_MAP: Final = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}
"""What the SDK's operations raise for these statuses (the scan treats an authentication failure apart)."""


def raise_for_status(response: HttpResponse, *, arm_error: bool = True) -> None:
    """Raise what the SDK's own operations raise for a raw request's answer that is not 200.

    ``arm_error``: read the body as ARM's error shape (its code and message go into the error).
    """
    if response.status_code == 200:
        return
    map_error(status_code=response.status_code, response=response, error_map=_ERROR_MAP)
    raise HttpResponseError(response=response, error_format=ARMErrorFormat if arm_error else None)


def send_json(client: Any, request: HttpRequest, *, arm_error: bool = True) -> Any:
    """Send a raw request through ``client``'s pipeline (``send_request``) and read its JSON answer once.

    The response is streamed, so the pipeline's content-decoding policy leaves
    the body alone (it would parse every page a second time, in the threads
    that wait for the next calls); the body is read here, raised for status as
    the SDK's operations do, then parsed. Raises ``ValueError`` for a body
    that is not JSON.
    """
    # The client's raw-request entry point, through its own policies
    # (https://aka.ms/azsdk/dpcodegen/python/send_request).
    response = client.send_request(request, stream=True)
    response.read()
    raise_for_status(response, arm_error=arm_error)
    return json.loads(response.content)


class _PipelineSigned(AuthBase):
    """The session's auth: the request as the pipeline signed it (no ``.netrc`` lookup, no Basic auth)."""

    def __call__(self, request: PreparedRequest) -> PreparedRequest:
        return request


class CallLog:
    """Thread-safe counts of HTTP attempts by kind and of responses by status (retries included)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()

    def on_request(self, request: PipelineRequest[Any]) -> None:
        kind = call_kind(urlsplit(request.http_request.url).path)
        with self._lock:
            self.calls[kind] += 1

    def on_response(self, response: PipelineResponse[Any, Any]) -> None:
        with self._lock:
            self.statuses[response.http_response.status_code] += 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


class ClientFactory:
    """Builds the SDK clients of one scan; per-subscription clients are made once and reused."""

    def __init__(
        self,
        credential: TokenCredential,
        endpoint: ArmEndpoint,
        *,
        metrics_endpoint: MetricsEndpoint | None = None,
        retry: RetrySettings | None = None,
        pool_size: int = 16,
        log: CallLog | None = None,
    ) -> None:
        self.credential = credential
        self.endpoint = endpoint
        self.metrics_endpoint = metrics_endpoint or MetricsEndpoint.parse(None)
        self.retry = retry or RetrySettings()
        self.log = log or CallLog()
        self._lock = threading.Lock()
        self._per_subscription: dict[tuple[str, str], Any] = {}
        self._session = requests.Session()
        # The pipeline signs every request with its bearer token; without an auth of its own the
        # session would look up ~/.netrc on each request and, for a host listed there, replace the
        # token with Basic credentials.
        self._session.auth = _PipelineSigned()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=pool_size)
        self._session.mount("https://", adapter)

    def close(self) -> None:
        self._session.close()

    def _options(self, url: str | None = None, scope: str | None = None) -> dict[str, Any]:
        r = self.retry
        url = url or self.endpoint.url
        return {
            "base_url": url,
            "credential_scopes": [scope or self.endpoint.scope],
            "retry_policy": BoundedRetryPolicy(
                retry_total=r.total,
                retry_backoff_factor=r.backoff_factor,
                retry_backoff_max=r.backoff_max,
                retry_after_max=r.retry_after_max,
            ),
            "per_call_policies": [PageWalkPolicy()],
            # After the retry and redirect policies, before the one that adds the bearer token.
            "per_retry_policies": [PinnedHostPolicy(url)],
            # The transport owns the timeouts: given to the client, they would not reach it.
            "transport": RequestsTransport(
                session=self._session,
                session_owner=False,
                connection_timeout=r.connection_timeout,
                read_timeout=r.read_timeout,
            ),
            "raw_request_hook": self.log.on_request,
            "raw_response_hook": self.log.on_response,
        }

    def subscriptions(self) -> SubscriptionClient:
        return SubscriptionClient(self.credential, **self._options())

    def raw(self) -> SubscriptionClient:
        """A client for raw ARM requests (``send_request``) through the scan's policies, made once."""
        client: SubscriptionClient = self._once(
            ("raw", ""), lambda: SubscriptionClient(self.credential, **self._options())
        )
        return client

    def resource_graph(self) -> ResourceGraphClient:
        return ResourceGraphClient(self.credential, **self._options())

    def cognitive(self, subscription_id: str) -> CognitiveServicesManagementClient:
        client: CognitiveServicesManagementClient = self._cached(
            "cognitive", subscription_id, CognitiveServicesManagementClient
        )
        return client

    def monitor(self, subscription_id: str) -> MonitorManagementClient:
        client: MonitorManagementClient = self._cached("monitor", subscription_id, MonitorManagementClient)
        return client

    def policy_insights(self, subscription_id: str) -> PolicyInsightsClient:
        client: PolicyInsightsClient = self._cached("policy", subscription_id, PolicyInsightsClient)
        return client

    def carbon(self) -> CarbonOptimizationMgmtClient:
        """The Carbon Optimization client (tenant-wide: the subscriptions are in each query), made once."""
        client: CarbonOptimizationMgmtClient = self._once(
            ("carbon", ""), lambda: CarbonOptimizationMgmtClient(self.credential, **self._options())
        )
        return client

    def reservations(self) -> ReservationsMgmtClient:
        """The Reservations client (tenant-wide: every reservation the caller may read), made once."""
        client: ReservationsMgmtClient = self._once(
            ("reservations", ""), lambda: ReservationsMgmtClient(self.credential, **self._options())
        )
        return client

    def metrics(self, region: str) -> MetricsClient:
        """The batch metrics client of ``region`` (its regional endpoint), made once per region."""

        def make() -> MetricsClient:
            url = self.metrics_endpoint.for_region(region)
            options = self._options(url, self.metrics_endpoint.scope)
            del options["base_url"]
            return MetricsClient(url, self.credential, **options)

        client: MetricsClient = self._once(("metrics", normalise_region(region) or ""), make)
        return client

    def _cached(self, kind: str, subscription_id: str, cls: Any) -> Any:
        return self._once(
            (kind, subscription_id.lower()), lambda: cls(self.credential, subscription_id, **self._options())
        )

    def _once(self, key: tuple[str, str], make: Callable[[], Any]) -> Any:
        """The client kept under ``key``, made by ``make`` the first time (one per key, across threads)."""
        with self._lock:
            client = self._per_subscription.get(key)
            if client is None:
                client = self._per_subscription[key] = make()
            return client
