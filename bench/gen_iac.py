"""Generate a deterministic tree of IaC sources for ``bench/bench_sources.py``.

    python bench/gen_iac.py                      # bench/out/iac (replaced)
    python bench/gen_iac.py --out /tmp/iac --bicep-projects 50 --tf-stacks 10

Bicep: ``bicep/app-NN/`` projects of five files each (250 by default): a
``main.bicep`` with decorated parameters, variables, an account, a
deployments loop, a search service and four local module calls, and the
modules it calls (``modules/openai.bicep``, ``search.bicep``, ``ml.bicep``,
``monitoring.bicep``; ``openai.bicep`` itself calls ``monitoring.bicep``).
Every file is 100 to 250 lines.

Terraform: ``terraform/stack-NN/`` configurations of twenty ``.tf`` files
each (200 by default): a root module (providers, variables, locals,
accounts, for_each deployments, search, ML compute, outputs) and local
modules (``modules/openai`` instantiated once per region with for_each,
``modules/search``, ``modules/ml``, ``modules/naming``), plus a
``terraform.tfvars``.

The same arguments always give the same bytes (a seeded RNG, no clock).
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent

MODELS = [
    ("gpt-4o", "2024-11-20"),
    ("gpt-4o-mini", "2024-07-18"),
    ("gpt-4.1", "2025-04-14"),
    ("text-embedding-3-large", "1"),
    ("o3-mini", "2025-01-31"),
]
SKUS = ["Standard", "GlobalStandard", "DataZoneStandard", "ProvisionedManaged"]
REGIONS = ["eastus", "eastus2", "swedencentral", "westeurope", "francecentral"]
SEARCH_SKUS = ["basic", "standard", "standard2", "standard3"]
VM_SIZES = ["Standard_DS3_v2", "Standard_NC6s_v3", "Standard_ND96asr_v4", "Standard_E4s_v3"]


# --------------------------------------------------------------------------- Bicep


def _bicep_params(rng: random.Random, count: int) -> list[str]:
    lines: list[str] = []
    for i in range(count):
        lines += [
            f"@description('Setting {i} of the workload; see the runbook, section {rng.randint(1, 9)}')",
            f"param setting{i} string = 'value-{rng.randint(100, 999)}'",
            "",
        ]
    return lines


def _bicep_main(rng: random.Random, app: int) -> str:
    models = rng.sample(MODELS, 3)
    env = rng.choice(["dev", "test", "prod"])
    lines = [
        "targetScope = 'resourceGroup'",
        "",
        "metadata info = '''",
        f"Workload app-{app:02d}: chat, retrieval and training.",
        "Generated for aigov's source benchmark.",
        "'''",
        "",
        "@description('Environment name')",
        "@allowed([",
        "  'dev'",
        "  'test'",
        "  'prod'",
        "])",
        f"param environmentName string = '{env}'",
        "",
        "@description('Primary location')",
        f"param location string = '{rng.choice(REGIONS)}'",
        "",
        "@minValue(1)",
        "@maxValue(1000)",
        f"param chatCapacity int = {rng.choice([10, 20, 30, 50, 100])}",
        "",
        "@description('Deploy the search service')",
        "param useSearch bool = true",
        "",
        "@description('Deploy the ML workspace and its compute')",
        f"param useMl bool = {rng.choice(['true', 'false'])}",
        "",
        "param owner string = 'platform-team'",
        f"param costCenter string = 'cc-{rng.randint(1000, 9999)}'",
        "",
        "param deployments array = [",
    ]
    for model, version in models:
        lines += [
            "  {",
            f"    name: '{model}'",
            f"    model: '{model}'",
            f"    version: '{version}'",
            f"    sku: '{rng.choice(SKUS[:3])}'",
            f"    capacity: {rng.choice([1, 5, 10, 30, 60])}",
            "  }",
        ]
    lines += ["]", ""]
    lines += _bicep_params(rng, 8)
    lines += [
        "var abbrs = {",
        "  account: 'oai-'",
        "  search: 'srch-'",
        "  workspace: 'mlw-'",
        "  insights: 'log-'",
        "}",
        "",
        "var resourceToken = toLower(uniqueString(resourceGroup().id, environmentName, location))",
        "var isProd = environmentName == 'prod'",
        "var baseTags = {",
        "  environment: environmentName",
        "  owner: owner",
        "  'cost-center': costCenter",
        f"  workload: 'app-{app:02d}'",
        "}",
        "var tags = union(baseTags, isProd ? { criticality: 'high' } : {})",
        "var chatSku = isProd // production pays for provisioned throughput",
        "  ? {",
        "      name: 'ProvisionedManaged'",
        "      capacity: chatCapacity",
        "    }",
        "  : {",
        "      name: 'Standard'",
        "      capacity: chatCapacity",
        "    }",
        "",
        "resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {",
        "  name: '${abbrs.account}${resourceToken}'",
        "  location: location",
        "  tags: tags",
        "  kind: 'OpenAI'",
        "  sku: {",
        "    name: 'S0'",
        "  }",
        "  properties: {",
        "    customSubDomainName: '${abbrs.account}${resourceToken}'",
        "    publicNetworkAccess: isProd ? 'Disabled' : 'Enabled'",
        "    disableLocalAuth: true",
        "    networkAcls: {",
        "      defaultAction: isProd ? 'Deny' : 'Allow'",
        "      ipRules: []",
        "    }",
        "  }",
        "}",
        "",
        "@batchSize(1)",
        "resource modelDeployments 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01'"
        " = [for d in deployments: {",
        "  parent: account",
        "  name: d.name",
        "  sku: {",
        "    name: d.sku",
        "    capacity: d.capacity",
        "  }",
        "  properties: {",
        "    model: {",
        "      format: 'OpenAI'",
        "      name: d.model",
        "      version: d.version",
        "    }",
        "    raiPolicyName: contains(d, 'raiPolicyName') ? d.raiPolicyName : null",
        "  }",
        "}]",
        "",
        "resource chat 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01' = {",
        "  parent: account",
        "  name: 'chat'",
        "  sku: chatSku",
        "  properties: {",
        "    model: {",
        "      format: 'OpenAI'",
        f"      name: '{models[0][0]}'",
        f"      version: '{models[0][1]}'",
        "    }",
        "  }",
        "  dependsOn: [",
        "    modelDeployments",
        "  ]",
        "}",
        "",
        "resource search 'Microsoft.Search/searchServices@2023-11-01' = if (useSearch) {",
        "  name: '${abbrs.search}${resourceToken}'",
        "  location: location",
        "  tags: tags",
        "  sku: {",
        f"    name: '{rng.choice(SEARCH_SKUS)}'",
        "  }",
        "  properties: {",
        "    replicaCount: isProd ? 2 : 1",
        "    partitionCount: 1",
        "    hostingMode: 'default'",
        "    semanticSearch: 'standard'",
        "  }",
        "}",
        "",
        "module openAi './modules/openai.bicep' = {",
        "  name: 'openai-${resourceToken}'",
        "  params: {",
        "    name: 'oai-second-${resourceToken}'",
        "    location: location",
        "    tags: tags",
        "    deployments: deployments",
        "  }",
        "}",
        "",
        "module searchModule './modules/search.bicep' = if (useSearch) {",
        "  name: 'search-${resourceToken}'",
        "  params: {",
        "    name: 'srch-second-${resourceToken}'",
        "    location: location",
        "    tags: tags",
        f"    sku: '{rng.choice(SEARCH_SKUS)}'",
        "  }",
        "}",
        "",
        "module ml './modules/ml.bicep' = if (useMl) {",
        "  name: 'ml-${resourceToken}'",
        "  params: {",
        "    name: '${abbrs.workspace}${resourceToken}'",
        "    location: location",
        "    tags: tags",
        f"    vmSize: '{rng.choice(VM_SIZES)}'",
        "  }",
        "}",
        "",
        "module monitoring './modules/monitoring.bicep' = {",
        "  name: 'monitoring-${resourceToken}'",
        "  params: {",
        "    name: '${abbrs.insights}${resourceToken}'",
        "    location: location",
        "    tags: tags",
        "  }",
        "}",
        "",
        "output accountEndpoint string = account.properties.endpoint",
        "output accountName string = account.name",
        "output searchName string = useSearch ? search.name : ''",
        "output secondEndpoint string = openAi.outputs.endpoint",
        "output workspaceName string = useMl ? ml.outputs.name : ''",
    ]
    return "\n".join(lines) + "\n"


def _bicep_openai(rng: random.Random) -> str:
    lines = [
        "metadata description = 'An Azure OpenAI account, its model deployments and diagnostics.'",
        "",
        "@description('Account name')",
        "param name string",
        "param location string = resourceGroup().location",
        "param tags object = {}",
        "",
        "@description('Model deployments: name, model, version, sku, capacity')",
        "param deployments array = []",
        "",
        "@allowed([ 'Enabled', 'Disabled' ])",
        "param publicNetworkAccess string = 'Enabled'",
        "",
        "param sku object = {",
        "  name: 'S0'",
        "}",
        "",
        "param allowedIpRules array = []",
        "param networkAcls object = empty(allowedIpRules) ? {",
        "  defaultAction: 'Allow'",
        "} : {",
        "  ipRules: allowedIpRules",
        "  defaultAction: 'Deny'",
        "}",
        "",
    ]
    lines += _bicep_params(rng, 10)
    lines += [
        "var enabled = filter(deployments, d => d.capacity > 0)",
        "",
        "resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {",
        "  name: name",
        "  location: location",
        "  tags: union(tags, { component: 'openai' })",
        "  kind: 'OpenAI'",
        "  sku: sku",
        "  properties: {",
        "    customSubDomainName: toLower(name)",
        "    publicNetworkAccess: publicNetworkAccess",
        "    networkAcls: networkAcls",
        "    disableLocalAuth: true",
        "  }",
        "}",
        "",
        "@batchSize(1)",
        "resource deployment 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01'"
        " = [for d in enabled: {",
        "  parent: account",
        "  name: d.name",
        "  properties: {",
        "    model: {",
        "      format: 'OpenAI'",
        "      name: d.model",
        "      version: d.version",
        "    }",
        "  }",
        "  sku: {",
        "    name: d.?sku ?? 'Standard'",
        "    capacity: d.capacity",
        "  }",
        "}]",
        "",
        "resource extra 'Microsoft.CognitiveServices/accounts/deployments@2024-10-01'"
        " = [for i in range(0, 2): {",
        "  parent: account",
        "  name: 'embedding-${i}'",
        "  properties: {",
        "    model: {",
        "      format: 'OpenAI'",
        "      name: 'text-embedding-3-small'",
        "      version: '1'",
        "    }",
        "  }",
        "  sku: {",
        "    name: 'Standard'",
        f"    capacity: {rng.choice([10, 20, 50])}",
        "  }",
        "  dependsOn: [",
        "    deployment",
        "  ]",
        "}]",
        "",
        "module diagnostics './monitoring.bicep' = {",
        "  name: 'diag-${name}'",
        "  params: {",
        "    name: 'log-${name}'",
        "    location: location",
        "    tags: tags",
        "  }",
        "}",
        "",
        "output endpoint string = account.properties.endpoint",
        "output id string = account.id",
        "output name string = account.name",
        "output deploymentNames array = [for (d, i) in enabled: deployment[i].name]",
    ]
    return "\n".join(lines) + "\n"


def _bicep_search(rng: random.Random) -> str:
    lines = [
        "metadata description = 'An Azure AI Search service.'",
        "",
        "param name string",
        "param location string = resourceGroup().location",
        "param tags object = {}",
        "",
        "@allowed([",
        "  'free'",
        "  'basic'",
        "  'standard'",
        "  'standard2'",
        "  'standard3'",
        "])",
        "param sku string = 'standard'",
        "",
        "@minValue(1)",
        "@maxValue(12)",
        f"param replicaCount int = {rng.randint(1, 3)}",
        "",
        "@minValue(1)",
        "@maxValue(12)",
        "param partitionCount int = 1",
        "",
        "@allowed([ 'disabled', 'free', 'standard' ])",
        "param semanticSearch string = 'free'",
        "",
    ]
    lines += _bicep_params(rng, 22)
    lines += [
        "resource search 'Microsoft.Search/searchServices@2023-11-01' = {",
        "  name: name",
        "  location: location",
        "  tags: union(tags, { component: 'search' })",
        "  identity: {",
        "    type: 'SystemAssigned'",
        "  }",
        "  sku: {",
        "    name: sku",
        "  }",
        "  properties: {",
        "    replicaCount: replicaCount",
        "    partitionCount: partitionCount",
        "    hostingMode: 'default'",
        "    semanticSearch: semanticSearch",
        "    publicNetworkAccess: 'enabled'",
        "    authOptions: {",
        "      aadOrApiKey: {",
        "        aadAuthFailureMode: 'http401WithBearerChallenge'",
        "      }",
        "    }",
        "  }",
        "}",
        "",
        "output id string = search.id",
        "output name string = search.name",
        "output endpoint string = 'https://${name}.search.windows.net/'",
    ]
    return "\n".join(lines) + "\n"


def _bicep_ml(rng: random.Random) -> str:
    lines = [
        "metadata description = 'An Azure Machine Learning workspace with a training cluster.'",
        "",
        "param name string",
        "param location string = resourceGroup().location",
        "param tags object = {}",
        "param vmSize string = 'Standard_DS3_v2'",
        "",
        "@minValue(0)",
        "param minNodes int = 0",
        "",
        "@maxValue(100)",
        f"param maxNodes int = {rng.choice([2, 4, 8])}",
        "",
        "@description('Idle time before nodes scale down (ISO 8601)')",
        "param idleTime string = 'PT30M'",
        "",
    ]
    lines += _bicep_params(rng, 20)
    lines += [
        "resource workspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' = {",
        "  name: name",
        "  location: location",
        "  tags: tags",
        "  identity: {",
        "    type: 'SystemAssigned'",
        "  }",
        "  sku: {",
        "    name: 'Basic'",
        "    tier: 'Basic'",
        "  }",
        "  properties: {",
        "    friendlyName: name",
        "    publicNetworkAccess: 'Enabled'",
        "  }",
        "",
        "  resource cluster 'computes' = {",
        "    name: 'train'",
        "    location: location",
        "    properties: {",
        "      computeType: 'AmlCompute'",
        "      properties: {",
        "        vmSize: vmSize",
        "        vmPriority: 'Dedicated'",
        "        scaleSettings: {",
        "          minNodeCount: minNodes",
        "          maxNodeCount: maxNodes",
        "          nodeIdleTimeBeforeScaleDown: idleTime",
        "        }",
        "      }",
        "    }",
        "  }",
        "}",
        "",
        "output id string = workspace.id",
        "output name string = workspace.name",
    ]
    return "\n".join(lines) + "\n"


def _bicep_monitoring(rng: random.Random) -> str:
    lines = [
        "metadata description = 'Log Analytics and Application Insights.'",
        "",
        "param name string",
        "param location string = resourceGroup().location",
        "param tags object = {}",
        "",
        "@minValue(30)",
        "@maxValue(730)",
        f"param retentionInDays int = {rng.choice([30, 60, 90])}",
        "",
    ]
    lines += _bicep_params(rng, 25)
    lines += [
        "resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {",
        "  name: name",
        "  location: location",
        "  tags: tags",
        "  properties: {",
        "    retentionInDays: retentionInDays",
        "    sku: {",
        "      name: 'PerGB2018'",
        "    }",
        "  }",
        "}",
        "",
        "resource insights 'Microsoft.Insights/components@2020-02-02' = {",
        "  name: replace(name, 'log-', 'appi-')",
        "  location: location",
        "  tags: tags",
        "  kind: 'web'",
        "  properties: {",
        "    Application_Type: 'web'",
        "    WorkspaceResourceId: logs.id",
        "  }",
        "}",
        "",
        "output id string = logs.id",
        "output name string = logs.name",
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- Terraform


def _tf_variables(rng: random.Random, count: int) -> list[str]:
    lines: list[str] = []
    for i in range(count):
        lines += [
            f'variable "setting_{i}" {{',
            f'  description = "Setting {i} of the workload"',
            "  type        = string",
            f'  default     = "value-{rng.randint(100, 999)}"',
            "}",
            "",
        ]
    return lines


def _tf_stack(rng: random.Random, stack: int) -> dict[str, str]:
    regions = rng.sample(REGIONS, 3)
    models = rng.sample(MODELS, 3)
    env = rng.choice(["dev", "test", "prod"])
    files: dict[str, str] = {}
    files["providers.tf"] = "\n".join(
        [
            "terraform {",
            '  required_version = ">= 1.6"',
            "  required_providers {",
            "    azurerm = {",
            '      source  = "hashicorp/azurerm"',
            '      version = "~> 4.0"',
            "    }",
            "  }",
            "}",
            "",
            'provider "azurerm" {',
            "  features {}",
            "  subscription_id = var.subscription_id",
            "}",
            "",
            'provider "azurerm" {',
            '  alias           = "shared"',
            "  features {}",
            "  subscription_id = var.shared_subscription_id",
            "}",
        ]
    )
    files["variables.tf"] = "\n".join(
        [
            'variable "subscription_id" {',
            "  type    = string",
            '  default = "00000000-0000-0000-0000-000000000000"',
            "}",
            "",
            'variable "shared_subscription_id" {',
            "  type    = string",
            '  default = "11111111-1111-1111-1111-111111111111"',
            "}",
            "",
            'variable "environment" {',
            "  type = string",
            "  validation {",
            '    condition     = contains(["dev", "test", "prod"], var.environment)',
            '    error_message = "environment is dev, test or prod"',
            "  }",
            "}",
            "",
            'variable "location" {',
            "  type    = string",
            f'  default = "{regions[0]}"',
            "}",
            "",
            'variable "regions" {',
            "  type    = set(string)",
            f"  default = [{', '.join(f'{chr(34)}{r}{chr(34)}' for r in regions)}]",
            "}",
            "",
            'variable "deployments" {',
            "  type = map(object({",
            "    model    = string",
            "    version  = string",
            '    sku      = optional(string, "Standard")',
            "    capacity = optional(number, 10)",
            "  }))",
            "  default = {",
            *[
                f'    "{m}" = {{ model = "{m}", version = "{v}", capacity = {rng.choice([5, 10, 30])} }}'
                for m, v in models
            ],
            "  }",
            "}",
            "",
            'variable "use_search" {',
            "  type    = bool",
            "  default = true",
            "}",
            "",
            'variable "ml_vm_size" {',
            "  type    = string",
            f'  default = "{rng.choice(VM_SIZES)}"',
            "}",
            "",
            *_tf_variables(rng, 4),
        ]
    )
    files["locals.tf"] = "\n".join(
        [
            "locals {",
            f'  workload = "stack-{stack:02d}"',
            '  is_prod  = var.environment == "prod"',
            "  base_tags = {",
            "    environment   = var.environment",
            '    owner         = "platform-team"',
            f'    "cost-center" = "cc-{rng.randint(1000, 9999)}"',
            "    workload      = local.workload",
            "  }",
            '  tags = merge(local.base_tags, local.is_prod ? { criticality = "high" } : {})',
            "",
            "  chat_capacity = local.is_prod ? 100 : 10",
            '  chat_sku      = local.is_prod ? "ProvisionedManaged" : "Standard"',
            "",
            "  # One entry per region and model, keyed region/model.",
            "  regional = {",
            "    for pair in setproduct(tolist(var.regions), keys(var.deployments)) :",
            '    "${pair[0]}/${pair[1]}" => { region = pair[0], model = pair[1] }',
            "  }",
            "",
            "  enabled_deployments = {",
            "    for name, d in var.deployments : name => d",
            "    if d.capacity > 0",
            "  }",
            "",
            "  names = {",
            '    account   = lower(format("oai-%s-%s", local.workload, var.environment))',
            '    search    = "srch-${local.workload}-${var.environment}"',
            '    workspace = "mlw-${local.workload}-${var.environment}"',
            "  }",
            "}",
        ]
    )
    files["main.tf"] = "\n".join(
        [
            'resource "azurerm_resource_group" "main" {',
            '  name     = "rg-${local.workload}-${var.environment}"',
            "  location = var.location",
            "  tags     = local.tags",
            "}",
            "",
            'module "naming" {',
            '  source      = "./modules/naming"',
            "  workload    = local.workload",
            "  environment = var.environment",
            "}",
            "",
            'resource "azurerm_storage_account" "data" {',
            "  name                     = module.naming.storage",
            "  resource_group_name      = azurerm_resource_group.main.name",
            "  location                 = azurerm_resource_group.main.location",
            '  account_tier             = "Standard"',
            '  account_replication_type = local.is_prod ? "ZRS" : "LRS"',
            "  tags                     = local.tags",
            "}",
            "",
            'resource "azurerm_key_vault" "main" {',
            "  name                = module.naming.key_vault",
            "  location            = azurerm_resource_group.main.location",
            "  resource_group_name = azurerm_resource_group.main.name",
            '  tenant_id           = "22222222-2222-2222-2222-222222222222"',
            '  sku_name            = "standard"',
            "  tags                = local.tags",
            "}",
        ]
    )
    files["ai.tf"] = "\n".join(
        [
            'resource "azurerm_cognitive_account" "main" {',
            "  name                  = local.names.account",
            "  location              = azurerm_resource_group.main.location",
            "  resource_group_name   = azurerm_resource_group.main.name",
            '  kind                  = "OpenAI"',
            '  sku_name              = "S0"',
            "  custom_subdomain_name = local.names.account",
            "  local_auth_enabled    = false",
            "  tags                  = local.tags",
            "",
            "  network_acls {",
            '    default_action = local.is_prod ? "Deny" : "Allow"',
            "  }",
            "}",
            "",
            'resource "azurerm_cognitive_deployment" "models" {',
            "  for_each             = local.enabled_deployments",
            "  name                 = each.key",
            "  cognitive_account_id = azurerm_cognitive_account.main.id",
            "",
            "  model {",
            '    format  = "OpenAI"',
            "    name    = each.value.model",
            "    version = each.value.version",
            "  }",
            "",
            "  sku {",
            "    name     = each.value.sku",
            "    capacity = each.value.capacity",
            "  }",
            "}",
            "",
            'resource "azurerm_cognitive_deployment" "chat" {',
            '  name                 = "chat"',
            "  cognitive_account_id = azurerm_cognitive_account.main.id",
            "",
            "  model {",
            '    format  = "OpenAI"',
            f'    name    = "{models[0][0]}"',
            f'    version = "{models[0][1]}"',
            "  }",
            "",
            "  sku {",
            "    name     = local.chat_sku",
            "    capacity = local.chat_capacity",
            "  }",
            "}",
            "",
            'module "regional_openai" {',
            '  source              = "./modules/openai"',
            "  for_each            = var.regions",
            '  name                = "oai-${local.workload}-${each.key}"',
            "  location            = each.key",
            "  resource_group_name = azurerm_resource_group.main.name",
            "  tags                = local.tags",
            "  deployments         = local.enabled_deployments",
            "  providers = {",
            "    azurerm = azurerm.shared",
            "  }",
            "}",
        ]
    )
    files["search.tf"] = "\n".join(
        [
            'module "search" {',
            '  source              = "./modules/search"',
            "  count               = var.use_search ? 1 : 0",
            "  name                = local.names.search",
            "  location            = var.location",
            "  resource_group_name = azurerm_resource_group.main.name",
            f'  sku                 = "{rng.choice(SEARCH_SKUS)}"',
            "  replica_count       = local.is_prod ? 2 : 1",
            "  tags                = local.tags",
            "}",
        ]
    )
    files["ml.tf"] = "\n".join(
        [
            'module "ml" {',
            '  source              = "./modules/ml"',
            "  name                = local.names.workspace",
            "  location            = var.location",
            "  resource_group_name = azurerm_resource_group.main.name",
            "  storage_account_id  = azurerm_storage_account.data.id",
            "  key_vault_id        = azurerm_key_vault.main.id",
            "  vm_size             = var.ml_vm_size",
            "  max_nodes           = local.is_prod ? 8 : 2",
            "  tags                = local.tags",
            "}",
        ]
    )
    files["outputs.tf"] = "\n".join(
        [
            'output "account_id" {',
            "  value = azurerm_cognitive_account.main.id",
            "}",
            "",
            'output "deployment_names" {',
            "  value = [for d in azurerm_cognitive_deployment.models : d.name]",
            "}",
            "",
            'output "regional_accounts" {',
            "  value = { for region, m in module.regional_openai : region => m.account_id }",
            "}",
            "",
            'output "search_name" {',
            "  value = try(module.search[0].name, null)",
            "}",
            "",
            'output "workspace_id" {',
            "  value = module.ml.workspace_id",
            "}",
        ]
    )
    files["modules/openai/variables.tf"] = "\n".join(
        [
            'variable "name" {',
            "  type = string",
            "}",
            "",
            'variable "location" {',
            "  type = string",
            "}",
            "",
            'variable "resource_group_name" {',
            "  type = string",
            "}",
            "",
            'variable "tags" {',
            "  type    = map(string)",
            "  default = {}",
            "}",
            "",
            'variable "deployments" {',
            "  type = map(object({",
            "    model    = string",
            "    version  = string",
            '    sku      = optional(string, "Standard")',
            "    capacity = optional(number, 10)",
            "  }))",
            "  default = {}",
            "}",
            "",
            *_tf_variables(rng, 3),
        ]
    )
    files["modules/openai/main.tf"] = "\n".join(
        [
            "locals {",
            '  subdomain = lower(replace(var.name, "_", "-"))',
            '  tags      = merge(var.tags, { component = "openai", region = var.location })',
            "}",
            "",
            'resource "azurerm_cognitive_account" "this" {',
            "  name                  = var.name",
            "  location              = var.location",
            "  resource_group_name   = var.resource_group_name",
            '  kind                  = "OpenAI"',
            '  sku_name              = "S0"',
            "  custom_subdomain_name = local.subdomain",
            "  local_auth_enabled    = false",
            "  tags                  = local.tags",
            "",
            "  identity {",
            '    type = "SystemAssigned"',
            "  }",
            "}",
        ]
    )
    files["modules/openai/deployments.tf"] = "\n".join(
        [
            'resource "azurerm_cognitive_deployment" "this" {',
            "  for_each             = var.deployments",
            '  name                 = "${each.key}-${var.location}"',
            "  cognitive_account_id = azurerm_cognitive_account.this.id",
            '  rai_policy_name      = lookup(each.value, "rai_policy_name", null)',
            "",
            "  model {",
            '    format  = "OpenAI"',
            "    name    = each.value.model",
            "    version = each.value.version",
            "  }",
            "",
            "  sku {",
            '    name     = coalesce(each.value.sku, "Standard")',
            "    capacity = each.value.capacity",
            "  }",
            "}",
            "",
            'resource "azurerm_cognitive_deployment" "embeddings" {',
            "  count                = 2",
            '  name                 = "embedding-${count.index}"',
            "  cognitive_account_id = azurerm_cognitive_account.this.id",
            "",
            "  model {",
            '    format  = "OpenAI"',
            '    name    = "text-embedding-3-small"',
            '    version = "1"',
            "  }",
            "",
            "  sku {",
            '    name     = "Standard"',
            f"    capacity = {rng.choice([10, 20, 50])}",
            "  }",
            "}",
        ]
    )
    files["modules/openai/outputs.tf"] = "\n".join(
        [
            'output "account_id" {',
            "  value = azurerm_cognitive_account.this.id",
            "}",
            "",
            'output "endpoint" {',
            "  value = azurerm_cognitive_account.this.endpoint",
            "}",
            "",
            'output "deployment_names" {',
            "  value = concat([for d in azurerm_cognitive_deployment.this : d.name],"
            " azurerm_cognitive_deployment.embeddings[*].name)",
            "}",
        ]
    )
    files["modules/search/variables.tf"] = "\n".join(
        [
            'variable "name" {',
            "  type = string",
            "}",
            "",
            'variable "location" {',
            "  type = string",
            "}",
            "",
            'variable "resource_group_name" {',
            "  type = string",
            "}",
            "",
            'variable "sku" {',
            "  type    = string",
            '  default = "standard"',
            "}",
            "",
            'variable "replica_count" {',
            "  type    = number",
            "  default = 1",
            "}",
            "",
            'variable "partition_count" {',
            "  type    = number",
            "  default = 1",
            "}",
            "",
            'variable "tags" {',
            "  type    = map(string)",
            "  default = {}",
            "}",
            "",
            *_tf_variables(rng, 3),
        ]
    )
    files["modules/search/main.tf"] = "\n".join(
        [
            'resource "azurerm_search_service" "this" {',
            "  name                = var.name",
            "  location            = var.location",
            "  resource_group_name = var.resource_group_name",
            "  sku                 = var.sku",
            "  replica_count       = var.replica_count",
            "  partition_count     = var.partition_count",
            '  semantic_search_sku = var.sku == "free" ? null : "standard"',
            '  tags                = merge(var.tags, { component = "search" })',
            "",
            "  identity {",
            '    type = "SystemAssigned"',
            "  }",
            "}",
        ]
    )
    files["modules/search/outputs.tf"] = "\n".join(
        [
            'output "id" {',
            "  value = azurerm_search_service.this.id",
            "}",
            "",
            'output "name" {',
            "  value = azurerm_search_service.this.name",
            "}",
        ]
    )
    files["modules/ml/variables.tf"] = "\n".join(
        [
            'variable "name" {',
            "  type = string",
            "}",
            "",
            'variable "location" {',
            "  type = string",
            "}",
            "",
            'variable "resource_group_name" {',
            "  type = string",
            "}",
            "",
            'variable "storage_account_id" {',
            "  type = string",
            "}",
            "",
            'variable "key_vault_id" {',
            "  type = string",
            "}",
            "",
            'variable "vm_size" {',
            "  type    = string",
            '  default = "Standard_DS3_v2"',
            "}",
            "",
            'variable "max_nodes" {',
            "  type    = number",
            "  default = 2",
            "}",
            "",
            'variable "tags" {',
            "  type    = map(string)",
            "  default = {}",
            "}",
            "",
            *_tf_variables(rng, 2),
        ]
    )
    files["modules/ml/main.tf"] = "\n".join(
        [
            'resource "azurerm_application_insights" "this" {',
            '  name                = "appi-${var.name}"',
            "  location            = var.location",
            "  resource_group_name = var.resource_group_name",
            '  application_type    = "web"',
            "  tags                = var.tags",
            "}",
            "",
            'resource "azurerm_machine_learning_workspace" "this" {',
            "  name                    = var.name",
            "  location                = var.location",
            "  resource_group_name     = var.resource_group_name",
            "  application_insights_id = azurerm_application_insights.this.id",
            "  key_vault_id            = var.key_vault_id",
            "  storage_account_id      = var.storage_account_id",
            "  tags                    = var.tags",
            "",
            "  identity {",
            '    type = "SystemAssigned"',
            "  }",
            "}",
        ]
    )
    files["modules/ml/compute.tf"] = "\n".join(
        [
            'resource "azurerm_machine_learning_compute_cluster" "train" {',
            '  name                          = "train"',
            "  location                      = var.location",
            "  machine_learning_workspace_id = azurerm_machine_learning_workspace.this.id",
            '  vm_priority                   = "Dedicated"',
            "  vm_size                       = var.vm_size",
            "  tags                          = var.tags",
            "",
            "  scale_settings {",
            "    min_node_count                       = 0",
            "    max_node_count                       = var.max_nodes",
            '    scale_down_nodes_after_idle_duration = "PT30M"',
            "  }",
            "",
            "  identity {",
            '    type = "SystemAssigned"',
            "  }",
            "}",
            "",
            'resource "azurerm_machine_learning_compute_instance" "dev" {',
            '  for_each                      = toset(["alice", "bob"])',
            '  name                          = "ci-${each.key}"',
            "  machine_learning_workspace_id = azurerm_machine_learning_workspace.this.id",
            '  virtual_machine_size          = "Standard_DS3_v2"',
            "  tags                          = var.tags",
            "}",
        ]
    )
    files["modules/ml/outputs.tf"] = "\n".join(
        [
            'output "workspace_id" {',
            "  value = azurerm_machine_learning_workspace.this.id",
            "}",
            "",
            'output "cluster_id" {',
            "  value = azurerm_machine_learning_compute_cluster.train.id",
            "}",
        ]
    )
    files["modules/naming/main.tf"] = "\n".join(
        [
            'variable "workload" {',
            "  type = string",
            "}",
            "",
            'variable "environment" {',
            "  type = string",
            "}",
            "",
            "locals {",
            '  compact = substr(replace("${var.workload}${var.environment}", "-", ""), 0, 18)',
            "}",
            "",
            'output "storage" {',
            '  value = "st${local.compact}"',
            "}",
            "",
            'output "key_vault" {',
            '  value = "kv-${local.compact}"',
            "}",
        ]
    )
    files["terraform.tfvars"] = f'environment = "{env}"\n'
    return {name: text if text.endswith("\n") else text + "\n" for name, text in files.items()}


# --------------------------------------------------------------------------- tree


def generate(out: Path, bicep_projects: int, tf_stacks: int, seed: int = 7) -> tuple[list[Path], list[Path]]:
    """Write the tree under ``out`` (replacing it); the Bicep entry files and the Terraform stacks."""
    if out.exists():
        shutil.rmtree(out)
    rng = random.Random(seed)
    mains: list[Path] = []
    for app in range(bicep_projects):
        project = out / "bicep" / f"app-{app:02d}"
        files = {
            "main.bicep": _bicep_main(rng, app),
            "modules/openai.bicep": _bicep_openai(rng),
            "modules/search.bicep": _bicep_search(rng),
            "modules/ml.bicep": _bicep_ml(rng),
            "modules/monitoring.bicep": _bicep_monitoring(rng),
        }
        for name, text in files.items():
            (project / name).parent.mkdir(parents=True, exist_ok=True)
            (project / name).write_text(text, encoding="utf-8")
        mains.append(project / "main.bicep")
    stacks: list[Path] = []
    for index in range(tf_stacks):
        stack = out / "terraform" / f"stack-{index:02d}"
        for name, text in _tf_stack(rng, index).items():
            (stack / name).parent.mkdir(parents=True, exist_ok=True)
            (stack / name).write_text(text, encoding="utf-8")
        stacks.append(stack)
    return mains, stacks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "out" / "iac")
    parser.add_argument("--bicep-projects", type=int, default=50, help="five .bicep files each")
    parser.add_argument("--tf-stacks", type=int, default=10, help="twenty .tf files each")
    args = parser.parse_args()
    mains, stacks = generate(args.out, args.bicep_projects, args.tf_stacks)
    bicep = sorted((args.out / "bicep").rglob("*.bicep"))
    tf = sorted((args.out / "terraform").rglob("*.tf"))
    print(f"{args.out}: {len(bicep)} .bicep files ({len(mains)} projects), ", end="")
    print(f"{len(tf)} .tf files ({len(stacks)} stacks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
