"""Bicep registry modules (``br:``) read from the local module cache ``bicep restore`` fills.

(Local modules that are ARM JSON templates are read here too, as the
compiled templates they are.)

``bicep restore`` (and ``bicep build``) download each registry module's
compiled ARM template to
``<cache root>/br/<registry>/<repository with $ for />/<tag>$<mask>/main.json``,
where the cache root is bicepconfig.json's ``cacheRootDirectory``, else
``~/.bicep``, and ``<mask>`` is the hex bit mask of the tag's upper-case
letters (nothing when there are none); a digest reference uses
``sha256#<hex>`` as the last directory. Aliases (``br/public:``, and
``moduleAliases.br`` in bicepconfig.json) expand to a registry and a module
path first. aigov reads that ``main.json`` offline and evaluates it as an
ARM template deployed by the module; a module not in the cache, or a
template spec (``ts:``), is an :class:`~aigov.model.UnreadInput`.
"""

from __future__ import annotations

import ipaddress
import os
import re
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from aigov.errors import SourceError
from aigov.model import UNKNOWN, Inventory, Resource, UnreadInput
from aigov.readfile import DOCUMENT_LIMIT, read_regular_text
from aigov.sources.arm import load_located_json, load_module_template
from aigov.sources.arm_expressions import DeploymentContext
from aigov.sources.base import SourceOptions
from aigov.sources.confine import FileRefused, ScanRoot

CONFIG_FILE: Final = "bicepconfig.json"
PUBLIC_ALIAS: Final = ("mcr.microsoft.com", "bicep")
"""``br/public:`` as Bicep's built-in configuration defines it: registry and module path."""

MAX_TAG_LENGTH: Final = 128
_TAG: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$")
_DIGEST: Final = re.compile(r"^sha256:[0-9a-f]{64}$")
_LABEL: Final = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_REGISTRY: Final = re.compile(
    rf"^(?:{_LABEL}(?:\.{_LABEL})*|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])(?::[0-9]{{1,5}})?$"
)
"""A registry host: a DNS name or a bracketed IPv6 address (``[::1]``, as the compiler allows), a port."""
_REPOSITORY: Final = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")


@dataclass(frozen=True, slots=True)
class OciReference:
    """A registry module reference with its alias expanded."""

    registry: str
    repository: str
    tag: str | None
    digest: str | None

    def __str__(self) -> str:
        version = f":{self.tag}" if self.tag is not None else f"@{self.digest}"
        return f"br:{self.registry}/{self.repository}{version}"

    def cache_path(self, root: Path) -> Path:
        """Where ``bicep restore`` puts this module's compiled template under the cache ``root``."""
        version = encode_tag(self.tag) if self.tag is not None else str(self.digest).replace(":", "#")
        registry = self.registry.replace(":", "$").lower()
        return root / "br" / registry / self.repository.replace("/", "$") / version / "main.json"


def encode_tag(tag: str) -> str:
    """A tag as its cache directory name: the tag, ``$``, then the hex mask of its upper-case letters."""
    mask = sum(1 << i for i, ch in enumerate(tag) if ch.isupper())
    if mask == 0:
        return f"{tag}$"
    # Bicep writes the mask as 64-bit words, high word first, without leading zeros on the first.
    words = [(mask >> (64 * i)) & (2**64 - 1) for i in range((MAX_TAG_LENGTH + 63) // 64)]
    text, leading = "", False
    for word in reversed(words):
        if word or leading:
            text += f"{word:016x}" if leading else f"{word:x}"
            leading = True
    return f"{tag}${text}"


@dataclass(frozen=True, slots=True)
class BicepConfig:
    """What aigov reads from the nearest bicepconfig.json: module aliases and the cache root."""

    aliases: Mapping[str, tuple[str, str | None]]  # alias -> (registry, module path)
    cache_root: Path | None  # cacheRootDirectory, resolved against the file's folder
    file: str | None = None


def find_config(template: str) -> BicepConfig:
    """The bicepconfig.json in ``template``'s folder or the nearest folder above it (Bicep's own search)."""
    folder = Path(os.path.abspath(template)).parent
    for candidate in (folder, *folder.parents):
        path = candidate / CONFIG_FILE
        if path.is_file():
            return read_config(path)
    return BicepConfig({"public": PUBLIC_ALIAS}, None)


def read_config(path: Path) -> BicepConfig:
    file = str(path)
    text = read_regular_text(path, DOCUMENT_LIMIT, SourceError, name=file)
    document = load_located_json(text, file).value
    if not isinstance(document, dict):
        raise SourceError("a bicepconfig.json file holds a JSON object", file=file)
    aliases: dict[str, tuple[str, str | None]] = {"public": PUBLIC_ALIAS}
    declared = _object(_object(document.get("moduleAliases"), file, "moduleAliases").get("br"), file, "br")
    for name, entry in declared.items():
        where = f"moduleAliases.br.{name}"
        registry = _object(entry, file, where).get("registry")
        module_path = entry.get("modulePath")
        if not isinstance(registry, str) or not (module_path is None or isinstance(module_path, str)):
            raise SourceError(
                "a module alias needs a string registry (and modulePath)", file=file, where=where
            )
        aliases[name] = (registry, module_path)
    root = document.get("cacheRootDirectory")
    if root is not None and not isinstance(root, str):
        raise SourceError("cacheRootDirectory is not a string", file=file, where="cacheRootDirectory")
    cache_root = (path.parent / root) if isinstance(root, str) and root.strip() else None
    return BicepConfig(aliases, cache_root, file)


def _object(value: Any, file: str, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SourceError("expected an object", file=file, where=where)
    return value


def parse_reference(path: str, config: BicepConfig) -> OciReference:
    """``br:registry/repo:tag``, ``br:registry/repo@sha256:…`` or ``br/alias:path:tag``.

    Raises ValueError saying what is wrong with an invalid reference.
    """
    if path.startswith("br:"):
        rest = path[len("br:") :]
        registry, slash, remainder = rest.partition("/")
        if not slash or not registry:
            raise ValueError("expected br:<registry>/<repository>:<tag>")
        repository, tag, digest = _split_version(remainder)
    elif path.startswith("br/"):
        alias, colon, remainder = path[len("br/") :].partition(":")
        if not colon:
            raise ValueError("expected br/<alias>:<path>:<tag>")
        if alias not in config.aliases:
            where = f" in {config.file}" if config.file else ""
            raise ValueError(f"the module alias '{alias}' is not defined{where}")
        registry, module_path = config.aliases[alias]
        name, tag, digest = _split_version(remainder)
        repository = f"{module_path.strip('/')}/{name}" if module_path else name
    else:
        raise ValueError("not a registry module reference")
    host = _REGISTRY.match(registry)
    if host is None or (host["ipv6"] is not None and not _is_ipv6(host["ipv6"])):
        raise ValueError(f"'{registry}' is not a registry host name")
    if not _REPOSITORY.match(repository):
        raise ValueError(f"'{repository}' is not a valid repository name (lower case, / between parts)")
    return OciReference(registry, repository, tag, digest)


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _split_version(text: str) -> tuple[str, str | None, str | None]:
    if "@" in text:
        repository, _, digest = text.partition("@")
        if not _DIGEST.match(digest):
            raise ValueError(f"'{digest}' is not a sha256 digest")
        return repository, None, digest
    repository, colon, tag = text.rpartition(":")
    if not colon or not repository:
        raise ValueError("the reference has no tag (:<tag>) or digest (@sha256:…)")
    if not _TAG.match(tag):
        raise ValueError(f"'{tag}' is not a valid tag")
    return repository, tag, None


# --------------------------------------------------------------------------- resolving module calls


@dataclass(frozen=True, slots=True)
class RegistryCall:
    """One instance of a ``module`` whose path is a registry reference, as the evaluator met it."""

    path: str  # the reference as written: br:..., br/alias:..., ts:...
    name: str  # the module's symbolic name
    prefix: str  # the instance's address prefix, e.g. "module.storage." or "module.ai[0]."
    file: str
    line: int
    col: int
    params: Any  # the evaluated params object (UNKNOWN when not known)
    subscription_id: Any = None  # where the module deploys, as far as known (else UNKNOWN or None)
    resource_group: Any = None
    location: Any = None

    @property
    def address(self) -> str:
        return self.prefix.rstrip(".")

    @property
    def where(self) -> str:
        return f"line {self.line}, column {self.col}"


def with_registry_modules(
    inventory: Inventory, calls: Sequence[RegistryCall], options: SourceOptions, root: ScanRoot
) -> Inventory:
    """``inventory`` plus the resources of each module the Bicep evaluator left to this module.

    A registry module is read from the cache when it is there and is unread
    otherwise; a local ARM JSON module is read inside the scan ``root``. A
    reference Bicep itself would reject (no tag, an alias not defined, a file
    that does not exist) is a :class:`SourceError` naming the module: the
    template does not compile.
    """
    resources = list(inventory.resources)
    warnings = list(inventory.warnings)
    files = list(inventory.files)
    unread = list(inventory.unread)
    for call in calls:
        if call.path.startswith(("ts:", "ts/")):
            unread.append(_unread(call, call.path, "template specs are not read offline"))
            continue
        if call.path.startswith(("br:", "br/")):
            target = _cached(call, options, unread)
            if target is None:
                continue
            shown = str(target)
        else:
            target, shown = _local_template(call, root)
        module = load_module_template(target, shown, _given(call.params), _context(call), options)
        resources.extend(prefixed(resource, call.prefix) for resource in module)
        warnings.extend(module.warnings)
        files.extend([str(target), *module.files])
        unread.extend(prefixed_unread(u, call.prefix) for u in module.unread)
    return Inventory(resources, warnings=warnings, unread=unread, files=files)


def _cached(call: RegistryCall, options: SourceOptions, unread: list[UnreadInput]) -> Path | None:
    """The cached template of a registry module; None (and an unread input) when not restored."""
    config = find_config(call.file)
    try:
        reference = parse_reference(call.path, config)
    except ValueError as exc:
        raise SourceError(
            f"module '{call.name}': {call.path}: {exc}", file=call.file, where=call.where
        ) from None
    root = config.cache_root or (Path(options.bicep_cache) if options.bicep_cache else None)
    target = reference.cache_path(root) if root is not None else None
    if target is None or not _regular_file(target):
        shown = f"not in the module cache {root}" if root is not None else "no module cache given"
        unread.append(_unread(call, str(reference), f"{shown}; run bicep restore"))
        return None
    return target


def _local_template(call: RegistryCall, root: ScanRoot) -> tuple[Path, str]:
    """A local ARM JSON module's real path (inside the scan root) and its path as the template wrote it."""
    folder = os.path.dirname(call.file)
    try:
        real = root.resolve(call.path, folder)
    except FileRefused as exc:
        raise SourceError(f"module '{call.name}': {exc}", file=call.file, where=call.where) from None
    return Path(real), os.path.normpath(os.path.join(folder, call.path))


_SOURCE: Final = "bicep"


def _unread(call: RegistryCall, reference: str, reason: str) -> UnreadInput:
    return UnreadInput(reference, reason, call.address, _SOURCE, call.file, call.line)


def _regular_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _given(params: Any) -> dict[str, Any] | None:
    if params is UNKNOWN or not isinstance(params, dict):
        return None
    return {name: _data(value) for name, value in params.items()}


def _data(value: Any) -> Any:
    """A module input as template data: a resource, module or lambda value is unknown to the template."""
    if isinstance(value, dict):
        return {k: _data(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_data(v) for v in value]
    if value is UNKNOWN or value is None or isinstance(value, str | int | float | bool):
        return value
    return UNKNOWN


def _context(call: RegistryCall) -> DeploymentContext:
    def known(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    return DeploymentContext(known(call.subscription_id), known(call.resource_group), known(call.location))


def prefixed(
    resource: Resource, prefix: str, *, file: str | None = None, line: int | None = None
) -> Resource:
    """A module's resource as the calling Bicep file sees it: addressed under ``prefix``.

    ``file`` and ``line``: where the Bicep file declares it, when the module has no file of its own.
    """
    origin = replace(resource.origin, source=_SOURCE, address=prefix + resource.key)
    if file is not None:
        origin = replace(origin, file=file, line=line)
    return replace(
        resource,
        key=prefix + resource.key,
        parent_key=prefix + resource.parent_key if resource.parent_key is not None else None,
        origin=origin,
    )


def prefixed_unread(unread: UnreadInput, prefix: str) -> UnreadInput:
    """A module's input not read, addressed under ``prefix`` as the calling Bicep file sees it."""
    return replace(unread, address=prefix + unread.address, source=_SOURCE)
