"""``python -m aigov``."""

from aigov.cli.main import main

main()
