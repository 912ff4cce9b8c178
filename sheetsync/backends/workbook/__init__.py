"""The workbook backend: a local ``.xlsx`` file, read and written without openpyxl on the
hot path.

One folder, one concern per module — the order a run goes through them:

* :mod:`.backend` — :class:`WorkbookBackend`: read, write, ``apply_setup``, ``edit_cells``;
  every write a temp file, fsync, ``<name>.bak``, ``os.replace``.
* :mod:`.package` (the zip/OPC layer), :mod:`.read` (the fast reader), :mod:`.text`
  (SpreadsheetML strings).
* :mod:`.render` (a :class:`~sheetsync.tabspec.TabSpec` as sheet XML), :mod:`.page`
  (printing), :mod:`.chart` (drawn by openpyxl), :mod:`.styles` (``styles.xml``),
  :mod:`.write` (splicing owned tabs into the package), :mod:`.zip_copy` (unchanged members
  copied as stored).
* The register, on request only: :mod:`.register_setup` (`schema apply`) with
  :mod:`.sheet_xml`, :mod:`.validation`, :mod:`.comments`, :mod:`.style_variants` and
  :mod:`.parts`; :mod:`.edits` (`fix --apply`).

What both backends share sits beside this folder: the protocol (:mod:`..base`), number
formats (:mod:`..number_format`), column widths (:mod:`..columns`, :mod:`..cell_width`).
"""

from __future__ import annotations

from .backend import WorkbookBackend

__all__ = ["WorkbookBackend"]
