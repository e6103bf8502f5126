"""The ``aigov`` command line."""

from __future__ import annotations

import click

from aigov import __version__


@click.group()
@click.version_option(__version__, prog_name="aigov")
def main() -> None:
    """FinOps guard-rails as code for Azure AI spend."""
