"""The README is what runs: read its shell blocks, and regenerate its sample outputs.

    python .ci/readme.py outputs           # rewrite README.md's sample outputs in place
    python .ci/readme.py outputs --check   # exit 1 with a diff when README.md differs
    python .ci/readme.py block "Try it offline against the emulator"   # print that bash block

A sample output is a fenced block between ``<!-- output: NAME -->`` and ``<!-- /output -->``.
Every one is produced by running the commands a reader runs, on the demo as of
:data:`AS_OF` (the demo's seed is fixed), with a fixed terminal width, in a temporary folder
whose path is shown as :data:`SHOWN_FOLDER`. ``tests/test_readme_outputs.py`` runs the same
generation, so the README cannot drift from what the program prints.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
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


AS_OF = "2026-12-04"
#: wide enough that no message wraps: the README shows each problem on one line
COLUMNS = 180
#: where the README says the demo was written
SHOWN_FOLDER = "/home/you/sheetsync"
#: how many rows of the `fix` preview the README shows
FIX_ROWS = 3
_MARKED = re.compile(r"(<!-- output: ([\w-]+) -->\n```[^\n]*\n)(.*?)(```\n<!-- /output -->)", re.S)


class Outputs:
    """The sample outputs, produced by running sheetsync in ``folder``."""

    def __init__(self, folder: Path, python: str = sys.executable) -> None:
        self.folder = folder
        self.python = python
        self._cache: dict[str, str] = {}

    def sheetsync(self, *args: str, expect: tuple[int, ...] = (0,)) -> str:
        env = {k: v for k, v in os.environ.items()
               if k not in ("FORCE_COLOR", "TERM", "PYTHONPATH")}
        env.update(COLUMNS=str(COLUMNS), LINES="50", NO_COLOR="1", PYTHONIOENCODING="utf-8")
        done = subprocess.run([self.python, "-m", "sheetsync", *args], cwd=self.folder,
                              env=env, capture_output=True, text=True, encoding="utf-8",
                              timeout=300)
        if done.returncode not in expect:
            raise RuntimeError(f"`sheetsync {' '.join(args)}` exited {done.returncode}:\n"
                               f"{done.stdout}{done.stderr}")
        return _tidy(done.stdout.replace(str(self.folder.resolve()), SHOWN_FOLDER)
                     .replace(str(self.folder), SHOWN_FOLDER))

    def demo(self) -> str:
        if "demo" not in self._cache:
            self._cache["demo"] = self.sheetsync("demo", "--as-of", AS_OF)
        return self._cache["demo"]

    def landing(self) -> str:
        """The current period's range line, as the demo prints it."""
        line = next(x for x in self.demo().splitlines() if "着地見込み" in x)
        return line.strip() + "\n"

    def validate(self) -> str:
        self.demo()
        args = ("validate", "--config", "sheetsync-demo/config.yaml", "--as-of", AS_OF)
        return f"$ sheetsync {' '.join(args)}\n" + self.sheetsync(*args, expect=(0, 1))

    def fix(self) -> str:
        """The `fix` preview, its first rows and its last line."""
        self.demo()
        args = ("fix", "--config", "sheetsync-demo/config.yaml", "--columns", "見込金額,受注予定日")
        lines = self.sheetsync(*args, expect=(0, 1)).splitlines()
        rows = [x for x in lines[2:-1] if x.strip()]
        shown = [*lines[:2], *rows[:FIX_ROWS], " …" if len(rows) > FIX_ROWS else None, lines[-1]]
        return f"$ sheetsync {' '.join(args)}\n" + "\n".join(x for x in shown if x is not None) \
            + "\n"

    def notify(self) -> str:
        """One rep's digest, as `notify --dry-run` prints it on the demo (no server needed)."""
        self.demo()
        args = ("notify", "--config", "sheetsync-demo/config.yaml", "--dry-run",
                "--owner", "佐藤 健")
        return (f"$ sheetsync {shlex.join(args)}\n"
                + self.sheetsync(*args, "--as-of", AS_OF))

    def producers(self) -> Mapping[str, Callable[[], str]]:
        return {"demo": self.demo, "landing": self.landing, "validate": self.validate,
                "fix": self.fix, "notify": self.notify}


def _tidy(text: str) -> str:
    """Trailing spaces (rich pads every line) and blank lines at either end removed."""
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n"


def regenerate(text: str, outputs: Outputs) -> str:
    """``text`` (a README) with every marked sample output produced again."""
    producers = outputs.producers()

    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        if name not in producers:
            raise LookupError(f"README.md marks an unknown output {name!r} "
                              f"(known: {', '.join(producers)})")
        return match.group(1) + producers[name]() + match.group(4)

    return _MARKED.sub(replace, text)


def marked(text: str) -> list[str]:
    """The names of the marked sample outputs in ``text``, in order."""
    return [m.group(2) for m in _MARKED.finditer(text)]


def readme_diff(current: str, expected: str) -> str:
    return "".join(difflib.unified_diff(
        current.splitlines(keepends=True), expected.splitlines(keepends=True),
        "README.md (as committed)", "README.md (as the program prints it)"))


def generate(readme: Path = README) -> tuple[str, str]:
    """``(current, expected)`` text of ``readme``."""
    current = readme.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory(prefix="sheetsync-readme-") as folder:
        return current, regenerate(current, Outputs(Path(folder)))


REGENERATE = "python .ci/readme.py outputs"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python .ci/readme.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    block = sub.add_parser("block", help="print the bash block under a README heading")
    block.add_argument("heading")
    outputs = sub.add_parser("outputs", help="regenerate README.md's sample outputs")
    outputs.add_argument("--check", action="store_true",
                         help="change nothing; exit 1 with a diff when README.md differs")
    args = parser.parse_args(argv)
    if args.command == "outputs":
        current, expected = generate()
        if current == expected:
            print("README.md: sample outputs are up to date")
            return 0
        if args.check:
            sys.stdout.write(readme_diff(current, expected))
            print(f"README.md differs from what the program prints; run: {REGENERATE}")
            return 1
        README.write_text(expected, encoding="utf-8")
        print(f"README.md: sample outputs rewritten ({', '.join(marked(expected))})")
        return 0
    if args.command == "block":
        try:
            sys.stdout.write(fenced_block(README.read_text(encoding="utf-8"), args.heading))
        except LookupError as exc:
            print(f"readme: {exc}", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
