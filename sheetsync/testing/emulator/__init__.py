"""A local emulator of the Google Sheets API v4, for tests and offline trials.

It is a real HTTP server (standard library ``ThreadingHTTPServer``) on 127.0.0.1 that answers
like ``https://sheets.googleapis.com`` and, at ``/token``, like
``https://oauth2.googleapis.com/token``, so the real gspread and google-auth code runs
against it unchanged (point a service-account key's ``token_uri`` at ``BASE/token`` and send
API traffic to ``BASE`` instead of ``https://sheets.googleapis.com``).

Implemented, with Google's JSON shapes and error messages:

- ``spreadsheets.create``, ``spreadsheets.get`` (``includeGridData``, ``ranges``, ``fields``
  partial responses in Google's mask syntax — grid data is rendered with only the fields
  the mask selects), ``spreadsheets.batchUpdate``;
- ``values.get``, ``values:batchGet``, ``values.update``, ``values:batchUpdate``,
  ``values.append`` (table detection, ``INSERT_ROWS``), ``values.clear``,
  ``values:batchClear`` — render options FORMATTED_VALUE / UNFORMATTED_VALUE / FORMULA,
  SERIAL_NUMBER / FORMATTED_STRING, ROWS / COLUMNS, RAW / USER_ENTERED input, trailing
  empty trimming, A1 ranges with quoted tab names and named ranges;
- batchUpdate requests (all-or-nothing, errors name the request index): addSheet,
  deleteSheet, duplicateSheet (ranges of the copy's merges, rules, filter, groups and
  charts moved to the copy, charts with new ids), updateSheetProperties (freezing every
  visible row or column, or hiding the last visible sheet, is refused with a 400
  ``INVALID_ARGUMENT`` and nothing of the batch applied, as Google does),
  updateSpreadsheetProperties,
  updateCells, repeatCell, appendCells, updateBorders, mergeCells, unmergeCells,
  setDataValidation, add/update/deleteConditionalFormatRule, add/update/deleteProtectedRange,
  addChart (anchor cell inside the grid), updateChartSpec, deleteEmbeddedObject,
  add/update/deleteNamedRange, create/update/deleteDeveloperMetadata,
  updateDimensionProperties, autoResizeDimensions,
  insertDimension, deleteDimension, appendDimension, moveDimension, add/deleteDimensionGroup,
  setBasicFilter, clearBasicFilter, add/deleteFilterView (over a range), sortRange,
  copyPaste, cutPaste;
- as Google stores them: a colour set in either form is kept in both (``backgroundColor`` and
  ``backgroundColorStyle: {rgbColor}``, ``textFormat.foregroundColor`` and
  ``foregroundColorStyle``, border ``color`` and ``colorStyle``; the style wins when both are
  set) — in cell formats, text runs, conditional format rules (and their gradient points)
  and the spreadsheet's ``defaultFormat``, and so in ``effectiveFormat``, where a cell's
  colour replaces the default's whole; a protected range added without editors lists the
  requesting account as its editor (the service account of the token; any bearer token the
  emulator did not issue, accepted only without ``--strict-auth``, is the one account
  ``anonymous@sheetsync-emulator.invalid``); deleting a sheet turns every formula reference
  to it into ``#REF!`` for good, even if a sheet of that name comes back;
- answers gzip-encoded (``Content-Encoding: gzip``, the same JSON once decoded) only when
  the request both accepts gzip and carries ``gzip`` in its User-Agent, as Google's APIs
  do (:func:`.server.wants_gzip`); the request log records each answer's JSON and wire
  sizes (``LoggedRequest.response_bytes``, ``wire_bytes``, ``content_encoding``);
- request bodies are checked against the discovery document (unknown fields, wrong types and
  enum values are rejected like Google does); grids are limited to 10 million cells;
- every write is all-or-nothing: it works on a copy-on-write version of the spreadsheet
  (sheets and cells are copied only when the write changes them, see :mod:`.state`) that
  replaces the stored one only if the whole request succeeded;
- test controls (:class:`Faults`): injected error answers, dropped connections before the
  request is handled (``disconnect_next``) or after it was applied
  (``disconnect_after_apply``: the write took effect, the answer is lost), latency, hooks,
  and a request log (:class:`RequestLog`);
- OAuth 2.0 JWT-bearer token endpoint (RS256 signature checked against the issued key,
  ``aud``, ``iat``/``exp``, ``scope``), per-spreadsheet sharing with ``--strict-auth``;
- as a convenience, Drive ``files.create`` (spreadsheets only) and ``files.delete`` so that
  ``gspread.Client.create`` / ``del_spreadsheet`` work.

Formulas evaluated (see :mod:`.formula`): literals, cell/range references (also to other
tabs), ``+ - * / ^ &``, unary minus, ``%``, comparisons, and the functions SUM, AVERAGE,
MIN, MAX, COUNT, COUNTA, ROUND, ABS, IF (only the branch taken is evaluated), AND, OR, NOT,
CONCATENATE, LEN, NA (``#N/A``) and HYPERLINK (shows its label and sets the cell's
hyperlink). Any other formula is stored and returned as written (FORMULA render) with an
``#ERROR!`` effective value saying it is not evaluated.

Not implemented: other batchUpdate kinds (they answer 400 "not implemented by the sheetsync
emulator"), getByDataFilter methods, sheets.copyTo, pivot tables, data sources, tables,
slicers, banding requests, other filter view requests (update, duplicate), comments, rich
effective formats (effectiveFormat is the default format merged with the user-entered one),
relative-reference adjustment of pasted formulas, the plain twin of a theme colour style
(stored alone), colour twins in charts, a refusal for deleting the last visible sheet while
hidden ones remain (applied; Google's answer is not recorded), locales other than en_US for
parsing and number display, quota accounting (429s only when injected), the rest of the
Drive API.

Command line (a fixed contract): ``python -m sheetsync.testing.emulator --port PORT
[--key-out FILE] [--strict-auth]``. Python: :class:`Emulator`; pytest fixtures in
:mod:`sheetsync.testing.fixtures`.
"""

from .control import Faults, LoggedRequest, RequestLog
from .emulator import Emulator
from .errors import ApiError

__all__ = ["ApiError", "Emulator", "Faults", "LoggedRequest", "RequestLog"]
