"""Where aigov's bundled data lives, installed or in a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled_policies_dir() -> Path:
    """The rules shipped with aigov (``policies/`` in the repository)."""
    installed = _PACKAGE / "bundled_policies"  # a wheel maps policies/ here
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / "policies"  # source checkout or editable install


def default_bicep_cache() -> str:
    """Bicep's module cache root when bicepconfig.json sets none: ``~/.bicep``, as ``bicep restore`` uses."""
    return str(Path.home() / ".bicep")


def package_data(*parts: str) -> Path:
    return _PACKAGE.joinpath(*parts)


def is_bundled(path: Path) -> bool:
    """Whether ``path`` is a file shipped with aigov (bundled rules or package data).

    Bundled files are validated against their schemas by the test suite, so a
    scan trusts them instead of validating them again on every run.
    """
    try:
        real = path.resolve()
    except OSError:
        return False
    return real.is_relative_to(_PACKAGE) or real.is_relative_to(bundled_policies_dir().resolve())
