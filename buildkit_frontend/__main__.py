"""`python -m buildkit_frontend` runs the CLI."""

from .command import main

main()
