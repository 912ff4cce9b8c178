"""`python -m sheetsync` runs the command line."""

from .cli import entry

entry()
