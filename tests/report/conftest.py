"""Hand-built scan results for the reporter tests: a realistic mix, and a clean scan."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sarif_validator import SarifValidator, ValidatorUnavailable
from sarif_validator import install as install_sarif_validator

from aigov.model import (
    UNKNOWN,
    Action,
    BaselineState,
    CatalogInfo,
    Confidence,
    CostImpact,
    CostLine,
    Finding,
    InputCost,
    NotScanned,
    Origin,
    Outcome,
    Price,
    Resource,
    ResourceCost,
    ScanResult,
    Severity,
    Suppression,
)

AS_OF = date(2026, 9, 30)
SUB = "00000000-0000-0000-0000-000000000001"
CATALOG = CatalogInfo(name="bundled", as_of=AS_OF, currency="USD", default_region="eastus")
GENERATED_AT = datetime(2026, 10, 1, 8, 30, tzinfo=UTC)

ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT_TYPE = "Microsoft.CognitiveServices/accounts/deployments"
SEARCH_TYPE = "Microsoft.Search/searchServices"

ACCOUNT = "azurerm_cognitive_account.main"
PTU = 'azurerm_cognitive_deployment.reports["ptu"]'
FINE_TUNE = 'azurerm_cognitive_deployment.ft["invoice"]'
BATCH = "azurerm_cognitive_deployment.batch"
CHAT = "azurerm_cognitive_deployment.chat"
SEARCH = "azurerm_search_service.docs"

RETAIL_URL = "https://prices.azure.com/api/retail/prices"
PTU_MONTHLY = 43_800.00  # 30 PTU x 2.00 $/h x 730 h
FINE_TUNE_MONTHLY = 1_241.00  # 1.70 $/h x 730 h
SEARCH_MONTHLY = 245.28  # 0.336 $/h x 1 replica x 1 partition x 730 h, eastus price for westus3


def _price(meter: str, unit_price: float, unit: str, region: str = "eastus") -> Price:
    source = "Azure Retail Prices API"
    return Price(meter, unit_price, unit, region, "USD", source, RETAIL_URL, AS_OF, AS_OF, RETAIL_URL)


PTU_PRICE = _price("Provisioned Managed Regional Unit", 2.0, "1 Hour")
FT_PRICE = _price("gpt-4o-mini Fine-tuned Hosting", 1.7, "1 Hour")
SEARCH_PRICE = _price("Standard S1 Unit", 0.336, "1 Hour")
GPT4_IN = _price("gpt-4 Input Tokens", 30.0, "1M tokens")
GPT4_OUT = _price("gpt-4 Output Tokens", 60.0, "1M tokens")


def _resource(
    address: str,
    type_: str,
    name: object,
    body: dict[str, object],
    *,
    line: int,
    parent: str | None = None,
    subscription: object = SUB,
    resource_group: object = "rg-ai-prod",
) -> Resource:
    return Resource(
        key=address,
        type=type_,
        name=name,  # type: ignore[arg-type]  # tests pass UNKNOWN through the same helper
        body=body,
        origin=Origin("terraform_plan", "plan.json", line, address),
        action=Action.CREATE,
        subscription_id=subscription,  # type: ignore[arg-type]
        resource_group=resource_group,  # type: ignore[arg-type]
        parent_key=parent,
    )


def _ptu_line() -> CostLine:
    return CostLine(
        PTU,
        PTU_MONTHLY,
        "30 PTU x 2.00 $/h x 730 h (ProvisionedManaged, eastus, prices as of 2026-09-30)",
        Confidence.EXACT,
        (PTU_PRICE,),
    )


def _ft_line() -> CostLine:
    return CostLine(
        FINE_TUNE,
        FINE_TUNE_MONTHLY,
        "hosting 1.70 $/h x 730 h (gpt-4o-mini fine-tune, eastus, prices as of 2026-09-30)",
        Confidence.EXACT,
        (FT_PRICE,),
    )


def mixed_result() -> ScanResult:
    """Nine resources, six findings: every case a report must get right."""
    account = _resource(
        ACCOUNT, ACCOUNT_TYPE, "ai-reports", {"location": "eastus", "kind": "OpenAI", "tags": {}}, line=12
    )
    ptu = _resource(
        PTU,
        DEPLOYMENT_TYPE,
        "ptu",
        {"sku": {"name": "ProvisionedManaged", "capacity": 30}},
        line=40,
        parent=ACCOUNT,
    )
    fine_tune = _resource(
        FINE_TUNE,
        DEPLOYMENT_TYPE,
        "invoice",
        {
            "sku": {"name": "Standard", "capacity": 1},
            "properties": {"model": {"name": "gpt-4o-mini-2024-07-18.ft-4f1c2a"}},
        },
        line=71,
        parent=ACCOUNT,
    )
    batch = _resource(
        BATCH,
        DEPLOYMENT_TYPE,
        "batch",
        {"sku": {"name": "ProvisionedManaged", "capacity": UNKNOWN}},
        line=98,
        parent=ACCOUNT,
    )
    chat = _resource(
        CHAT,
        DEPLOYMENT_TYPE,
        "chat",
        {"sku": {"name": "Standard"}, "properties": {"model": {"name": "gpt-4"}}},
        line=120,
        parent=ACCOUNT,
    )
    # Subscription and resource group computed at apply: the report must say so, not show blanks.
    search = _resource(
        SEARCH,
        SEARCH_TYPE,
        "docs",
        {"location": "westus3", "sku": {"name": "standard"}},
        line=150,
        subscription=UNKNOWN,
        resource_group=UNKNOWN,
    )
    compliant = [
        _resource(
            'azurerm_cognitive_deployment.chat4o["gpt4o"]',
            DEPLOYMENT_TYPE,
            "gpt4o",
            {"sku": {"name": "GlobalStandard"}},
            line=180,
            parent=ACCOUNT,
        ),
        _resource(
            "azurerm_cognitive_account.dev",
            ACCOUNT_TYPE,
            UNKNOWN,
            {"location": UNKNOWN, "kind": "OpenAI"},
            line=200,
        ),
        _resource(
            "azurerm_search_service.free",
            SEARCH_TYPE,
            "free",
            {"location": "eastus", "sku": {"name": "free"}},
            line=230,
        ),
    ]
    findings = (
        Finding(
            rule_id="AIGOV-SKU-001",
            title="Azure OpenAI deployments use an approved deployment type",
            category="sku",
            severity=Severity.HIGH,
            outcome=Outcome.VIOLATION,
            message="ptu uses deployment type ProvisionedManaged; allowed: Standard, GlobalStandard",
            remediation="Use a pay-as-you-go deployment type, or record an approval.",
            resource=ptu,
            cost=CostImpact.from_lines([_ptu_line()]),
        ),
        Finding(
            rule_id="AIGOV-TAG-001",
            title="AI resources carry a cost-center tag",
            category="tags",
            severity=Severity.MEDIUM,
            outcome=Outcome.VIOLATION,
            message="ai-reports has no cost-center tag",
            remediation="Add a cost-center tag so the spend can be allocated.",
            resource=account,
            # The account's roll-up bills both deployments again: the total must count them once.
            cost=CostImpact.from_lines([_ptu_line(), _ft_line()]),
        ),
        Finding(
            rule_id="AIGOV-IDLE-001",
            title="Fine-tuned deployments bill hosting by the hour",
            category="idle",
            severity=Severity.INFO,
            outcome=Outcome.VIOLATION,
            message="invoice hosts fine-tuned model gpt-4o-mini-2024-07-18.ft-4f1c2a",
            remediation="Delete the deployment when it is not in use; redeploying takes minutes.",
            resource=fine_tune,
            cost=CostImpact.from_lines([_ft_line()]),
        ),
        Finding(
            rule_id="AIGOV-SKU-002",
            title="Provisioned deployments stay within the PTU cap",
            category="sku",
            severity=Severity.HIGH,
            outcome=Outcome.UNDETERMINED,
            message="batch requests (known after apply) PTU; cap: 20",
            remediation="Lower sku.capacity to the cap, or raise the cap in aigov.yaml.",
            resource=batch,
            cost=CostImpact.unknown("depends on sku.capacity (known after apply) x 2.00 $/h x 730 h"),
            unknown_fields=("sku.capacity",),
        ),
        Finding(
            rule_id="AIGOV-MODEL-001",
            title="Deployments use an approved model",
            category="sku",
            severity=Severity.LOW,
            outcome=Outcome.VIOLATION,
            message="chat deploys gpt-4; allowed: gpt-4o, gpt-4o-mini",
            remediation="Deploy gpt-4o or gpt-4o-mini instead.",
            resource=chat,
            cost=CostImpact.from_lines(
                [
                    CostLine(
                        CHAT,
                        None,
                        "usage-based: input 30.00 $/1M tokens, output 60.00 $/1M tokens (eastus, "
                        "prices as of 2026-09-30); token volume unknown",
                        Confidence.UNKNOWN,
                        (GPT4_IN, GPT4_OUT),
                    )
                ]
            ),
        ),
        Finding(
            rule_id="AIGOV-SKU-010",
            title="AI Search services use an approved SKU",
            category="sku",
            severity=Severity.MEDIUM,
            outcome=Outcome.VIOLATION,
            message="docs uses SKU standard; allowed: basic, free",
            remediation="Use the basic SKU for fewer than 15 indexes.",
            resource=search,
            cost=CostImpact.from_lines(
                [
                    CostLine(
                        SEARCH,
                        SEARCH_MONTHLY,
                        "0.336 $/h x 1 replica x 1 partition x 730 h (eastus price: westus3 is not in "
                        "the catalogue; prices as of 2026-09-30)",
                        Confidence.ESTIMATE,
                        (SEARCH_PRICE,),
                    )
                ]
            ),
        ),
    )
    return ScanResult(
        inputs=("plan.json",),
        resources=(account, ptu, fine_tune, batch, chat, search, *compliant),
        findings=findings,
        catalog=CATALOG,
        generated_at=GENERATED_AT,
        warnings=("price catalogue bundled is 1 day old; nothing to refresh",),
        cost=input_cost(findings, {r.address: 1241.0 for r in compliant}),
    )


def input_cost(findings: tuple[Finding, ...], compliant: dict[str, float]) -> InputCost:
    """The inputs' cost as a scan reports it: each finding's resource once, and the compliant ones."""
    seen: dict[str, ResourceCost] = {}
    for f in findings:
        if f.resource.type.endswith(("/deployments", "/searchServices", "/computes")):
            seen.setdefault(
                f.resource.address,
                ResourceCost(f.resource.address, f.resource.type, f.cost.monthly_usd, f.cost.confidence),
            )
    for address, usd in compliant.items():
        seen[address] = ResourceCost(address, DEPLOYMENT_TYPE, usd, Confidence.EXACT)
    return InputCost(tuple(seen.values()))


def clean_result() -> ScanResult:
    """A scan with resources and no findings."""
    resources = tuple(
        _resource(f"azurerm_cognitive_deployment.ok{i}", DEPLOYMENT_TYPE, f"ok{i}", {}, line=i * 10)
        for i in range(1, 4)
    )
    cost = input_cost((), {r.address: 1241.0 for r in resources})
    return ScanResult(("plan.json",), resources, (), CATALOG, GENERATED_AT, cost=cost)


@pytest.fixture
def mixed() -> ScanResult:
    return mixed_result()


@pytest.fixture
def clean() -> ScanResult:
    return clean_result()


# --------------------------------------------------------------------------- pipeline formats

WAIVER = Suppression(
    kind="waiver",
    reason="cost-center assigned by finance in FIN-88",
    owner="platform-team",
    expires_on=date(2026, 12, 31),
    origin="aigov.yaml:14",
)
INLINE = Suppression(kind="inline", reason="demo until Friday", origin="main.tf:22")
EXPIRED = Suppression(
    kind="waiver",
    reason="gpt-4 until the migration",
    owner="chat-team",
    expires_on=date(2026, 9, 1),
    origin="aigov.yaml:20",
    expired=True,
)


def pipeline_result() -> ScanResult:
    """The mixed scan as a pull request sees it with a baseline and waivers.

    SKU-001 (ptu) new, fails; TAG-001 (account) waived and existing;
    IDLE-001 (fine-tune) suppressed inline, new; SKU-002 (batch) existing;
    MODEL-001 (chat) new, its waiver expired, fails again; SKU-010 (search) new, fails.
    """
    mixed = mixed_result()
    by_rule = {f.rule_id: f for f in mixed.findings}
    states: dict[str, tuple[Suppression | None, BaselineState]] = {
        "AIGOV-SKU-001": (None, BaselineState.NEW),
        "AIGOV-TAG-001": (WAIVER, BaselineState.EXISTING),
        "AIGOV-IDLE-001": (INLINE, BaselineState.NEW),
        "AIGOV-SKU-002": (None, BaselineState.EXISTING),
        "AIGOV-MODEL-001": (EXPIRED, BaselineState.NEW),
        "AIGOV-SKU-010": (None, BaselineState.NEW),
    }
    findings = tuple(
        dataclasses.replace(by_rule[rule], suppression=suppression, baseline=baseline)
        for rule, (suppression, baseline) in states.items()
    )
    return dataclasses.replace(mixed, findings=findings)


LIVE_ACCOUNT_ID = (
    f"/subscriptions/{SUB}/resourceGroups/rg-ai-prod/providers/"
    "Microsoft.CognitiveServices/accounts/ai-reports"
)
LIVE_PTU_ID = f"{LIVE_ACCOUNT_ID}/deployments/ptu"


def live_result() -> ScanResult:
    """A nightly scan of a subscription: resources read from Azure, one finding, one scope not read."""
    account = Resource(
        key=LIVE_ACCOUNT_ID,
        type=ACCOUNT_TYPE,
        name="ai-reports",
        body={"location": "eastus", "kind": "OpenAI", "tags": {}},
        origin=Origin("azure", None, None, LIVE_ACCOUNT_ID),
        action=Action.LIVE,
        subscription_id=SUB,
        resource_group="rg-ai-prod",
    )
    ptu = Resource(
        key=LIVE_PTU_ID,
        type=DEPLOYMENT_TYPE,
        name="ptu",
        body={"sku": {"name": "ProvisionedManaged", "capacity": 30}},
        origin=Origin("azure", None, None, LIVE_PTU_ID),
        action=Action.LIVE,
        subscription_id=SUB,
        resource_group="rg-ai-prod",
        parent_key=LIVE_ACCOUNT_ID,
    )
    finding = Finding(
        rule_id="AIGOV-SKU-001",
        title="Azure OpenAI deployments use an approved deployment type",
        category="sku",
        severity=Severity.HIGH,
        outcome=Outcome.VIOLATION,
        message="ptu uses deployment type ProvisionedManaged; allowed: Standard, GlobalStandard",
        remediation="Use a pay-as-you-go deployment type, or record an approval.",
        resource=ptu,
        cost=CostImpact.from_lines(
            [CostLine(LIVE_PTU_ID, PTU_MONTHLY, "30 PTU x 2.00 $/h x 730 h", Confidence.EXACT, (PTU_PRICE,))]
        ),
    )
    return ScanResult(
        inputs=(f"azure:{SUB}",),
        resources=(account, ptu),
        findings=(finding,),
        catalog=CATALOG,
        generated_at=GENERATED_AT,
        not_scanned=(NotScanned("00000000-0000-0000-0000-000000000002", "403 AuthorizationFailed"),),
        cost=input_cost((finding,), {}),
    )


HOSTILE = (
    "a|b <script>alert(1)</script> 100% done\r\nnext::error::x; ]] `code` *bold* $1 @team #12 [x](1) &amp;"
)


def hostile_result() -> ScanResult:
    """One finding whose every piece of user text tries to break out of its format."""
    mixed = mixed_result()
    finding = mixed.findings[0]
    resource = dataclasses.replace(
        finding.resource,
        key=f'azurerm_cognitive_deployment.x["{HOSTILE}"]',
        origin=Origin(
            "terraform_plan", "./infra/my plan;v2].json", 7, f'azurerm_cognitive_deployment.x["{HOSTILE}"]'
        ),
    )
    hostile = dataclasses.replace(
        finding,
        title=f"title {HOSTILE}",
        message=f"message {HOSTILE}",
        remediation=f"fix {HOSTILE}",
        resource=resource,
        suppression=Suppression(kind="waiver", reason=f"reason {HOSTILE}", owner=f"owner {HOSTILE}"),
    )
    failing = dataclasses.replace(hostile, rule_id="AIGOV-SKU-009", suppression=None)
    return dataclasses.replace(
        mixed, findings=(hostile, failing), warnings=(f"warning {HOSTILE}",), resources=(resource,)
    )


@pytest.fixture
def pipeline() -> ScanResult:
    return pipeline_result()


@pytest.fixture
def live() -> ScanResult:
    return live_result()


@pytest.fixture
def hostile() -> ScanResult:
    return hostile_result()


@pytest.fixture(scope="session")
def sarif_validator() -> SarifValidator:
    """Microsoft's SARIF validator, installed from npm once into tests/.cache (fails, never skips)."""
    try:
        return install_sarif_validator()
    except ValidatorUnavailable as exc:
        pytest.fail(f"the SARIF validator is required: {exc}")
