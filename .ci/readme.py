"""The README is what runs: read its shell blocks, and regenerate its sample outputs.

    python .ci/readme.py block "Try it offline against the emulator"   # print that bash block
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def fenced_block(text: str, heading: str, language: str = "bash") -> str:
    """The first ```language block after the Markdown heading whose title is ``heading``.

    >>> fenced_block("## A\\n\\n```bash\\necho a\\n```\\n", "A")
    'echo a\\n'
    """
    found = re.search(rf"^#+ {re.escape(heading)}[ \t]*$", text, re.M)
    if found is None:
        raise LookupError(f"README.md has no heading {heading!r}")
    block = re.compile(rf"^```{re.escape(language)}[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
    fence = block.search(text, found.end())
    next_heading = re.compile(r"^#+ ", re.M).search(text, found.end())
    if fence is None or (next_heading is not None and next_heading.start() < fence.start()):
        raise LookupError(f"README.md has no ```{language} block under {heading!r}")
    return fence.group(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python .ci/readme.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    block = sub.add_parser("block", help="print the bash block under a README heading")
    block.add_argument("heading")
    args = parser.parse_args(argv)
    if args.command == "block":
        try:
            sys.stdout.write(fenced_block(README.read_text(encoding="utf-8"), args.heading))
        except LookupError as exc:
            print(f"readme: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
