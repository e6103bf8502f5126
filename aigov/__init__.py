"""aigov: FinOps guard-rails as code for Azure AI spend."""

__version__ = "0.1.0"
