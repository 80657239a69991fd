"""`python -m buildkit_frontend` runs the CLI."""

from .cli import main

main()
