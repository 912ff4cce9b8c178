"""The Google Sheets backend: gspread + google-auth (imported only when a config names
``backend: google``).

One folder, one concern per module:

* :mod:`.backend` — :class:`GoogleBackend`: read (two requests), write (one batchUpdate),
  ``apply_setup``, ``edit_cells``; :func:`spreadsheet_key` reads a key or URL.
* :mod:`.credentials` (key file, ``GOOGLE_APPLICATION_CREDENTIALS``, ADC) and
  :mod:`.http_client` (the one seam to Google: routing, retries, errors as sheetsync's).
* :mod:`.read` (typed grids from the API's answers), :mod:`.render` (a
  :class:`~sheetsync.tabspec.TabSpec` as requests), :mod:`.write` (the plan of one run's
  requests, staging when a body is too large).
* The register, on request only: :mod:`.register_setup` (`schema apply`, `fix --apply`).

What both backends share sits beside this folder: the protocol (:mod:`..base`), number
formats (:mod:`..number_format`), column widths (:mod:`..columns`, :mod:`..cell_width`).
"""

from __future__ import annotations

from .backend import GoogleBackend, spreadsheet_key

__all__ = ["GoogleBackend", "spreadsheet_key"]
