"""`python -m sheetsync` runs the command line."""

from .cli import main

main()
