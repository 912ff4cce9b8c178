"""A spreadsheet held in memory, for property tests that run the whole pipeline many times.

:class:`MemoryBackend` keeps each tab as a :class:`~sheetsync.grid.Grid` and writes a
:class:`~sheetsync.tabspec.TabSpec` as both real backends lay it out — the note row, the
header, the rows — with a link as its text and numpy/pandas scalars as plain values. It has
no formats, charts or filter views: what a run reads back from it is the cells alone, as
from the workbook and from Google (the contract tests check those two agree).

>>> from sheetsync.tabspec import Column, TabSpec
>>> m = MemoryBackend({"案件一覧": Grid("案件一覧", [["案件ID"], ["D-1"]])})
>>> read = m.read()
>>> m.write([TabSpec("t", [Column("a", "A")], [[1]], note="n")], read).tabs
['t']
>>> m.read(["t"]).grids["t"].rows
[['n'], ['A'], [1]]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..backends.base import ReadResult, WriteResult
from ..backends.columns import plain_value
from ..errors import FileChangedError
from ..grid import Grid, TabInfo
from ..tabspec import Link, TabSpec


class MemoryBackend:
    """Tabs as grids in a dict; every write one atomic step (refused when another write
    happened since the read, as the workbook refuses a changed file)."""

    def __init__(self, grids: Mapping[str, Grid] | None = None) -> None:
        self.grids: dict[str, Grid] = {n: Grid(n, [list(r) for r in g.rows])
                                       for n, g in (grids or {}).items()}
        self.hidden: set[str] = set()
        self.writes = 0

    def describe(self) -> str:
        return "memory"

    def read(self, names: Iterable[str] | None = None) -> ReadResult:
        tabs = [TabInfo(n, i, i, n in self.hidden, len(g.rows), g.width)
                for i, (n, g) in enumerate(self.grids.items())]
        wanted = list(self.grids) if names is None else [n for n in names if n in self.grids]
        grids = {n: Grid(n, [list(r) for r in self.grids[n].rows]) for n in wanted}
        return ReadResult(tabs, grids, version=str(self.writes))

    def write(self, tabs: Sequence[TabSpec], read: ReadResult) -> WriteResult:
        if read.version != str(self.writes):
            raise FileChangedError("memory: written since it was read")
        for spec in tabs:
            self.grids[spec.name] = Grid(spec.name, _rows(spec))
            if spec.hidden:
                self.hidden.add(spec.name)
            else:
                self.hidden.discard(spec.name)
        self.writes += 1
        return WriteResult([t.name for t in tabs], "memory")

    def link(self, read: ReadResult, tab: str, cell: str) -> str:
        return f"#{tab}!{cell}"

    def set_register(self, grid: Grid) -> None:
        """A rep's edit: the register tab replaced (sheetsync's tabs stay as they are)."""
        self.grids[grid.name] = Grid(grid.name, [list(r) for r in grid.rows])
        self.writes += 1


def _cell(value: Any) -> Any:
    value = plain_value(value)
    return value.text if isinstance(value, Link) else value


def _rows(spec: TabSpec) -> list[list[Any]]:
    rows: list[list[Any]] = [[spec.note]] if spec.note else []
    rows.append([c.header for c in spec.columns])
    rows += [[_cell(v) for v in row] for row in spec.rows]
    return rows
