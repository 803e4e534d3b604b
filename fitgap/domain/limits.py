"""One set of limits on input, for every channel: the web forms, the YAML files (catalog,
towns, marks), the marking sheet and the official function lists (Excel).

Each limit is far above what real data needs and far below what hurts the server; what is
beyond one is refused with a message that names the file, line or cell and the limit, before
anything is saved. The table in docs/security.md ("Limits on input") lists them.
"""

from __future__ import annotations

__all__ = [
    "MAX_ANSWER_DETAIL_LENGTH",
    "MAX_AREA_KM2",
    "MAX_COUNT",
    "MAX_INTEGER_DIGITS",
    "MAX_NOTE_LENGTH",
    "MAX_SHEET_CELLS",
    "MAX_SHEET_COLUMNS",
    "MAX_SHEET_MERGED_CELLS",
    "MAX_SHEET_ROWS",
    "MAX_VERSION",
    "MAX_XLSX_FILE_BYTES",
    "MAX_XLSX_UNPACKED_BYTES",
    "MAX_YAML_DEPTH",
    "MAX_YAML_FILE_BYTES",
    "MAX_YEN",
    "MiB",
]

MiB = 1024 * 1024

# --- numbers ---
# Costs and budgets, in yen: above any municipal budget, and inside a BIGINT column.
MAX_YEN = 10**13
# Populations and households: more people than live in Japan is a typo.
MAX_COUNT = 10**9
# A town's area in km²: more than Japan's whole area is a typo.
MAX_AREA_KM2 = 400_000.0
# A mark's version (a 32-bit integer column).
MAX_VERSION = 2**31 - 1
# Digits in a number written as text: enough for any of the above, and far below where turning
# text into a number gets slow (Python refuses beyond 4,300 digits with a ValueError).
MAX_INTEGER_DIGITS = 20

# --- text ---
# The longest note a mark may have, in characters: the web editor, the marks files and the
# marking sheet refuse longer ones alike.
MAX_NOTE_LENGTH = 20_000
# The detail of a vendor's answer (which screen, which parameter, which procedure): a paragraph.
MAX_ANSWER_DETAIL_LENGTH = 2_000

# --- YAML files (catalog, towns, marks) ---
# One file's size: the biggest real marks file (a town's marks on every area) is a few MB.
MAX_YAML_FILE_BYTES = 64 * MiB
# Nesting of mappings and lists: the formats need 4 levels, user attributes (x-…) a few more.
MAX_YAML_DEPTH = 20

# --- Excel files (the marking sheet, the official function lists) ---
# The .xlsx file itself (the web refuses bigger uploads anyway: MAX_CONTENT_LENGTH is 16 MB).
MAX_XLSX_FILE_BYTES = 16 * MiB
# Everything in the .xlsx (a zip) unpacked: the real marking sheets and lists are a few MB.
MAX_XLSX_UNPACKED_BYTES = 64 * MiB
# Rows and columns of any worksheet: the real lists have up to a few thousand rows and fewer
# than 30 columns.
MAX_SHEET_ROWS = 50_000
MAX_SHEET_COLUMNS = 256
# Cells written in one worksheet, and cells covered by its merged ranges.
MAX_SHEET_CELLS = 1_500_000
MAX_SHEET_MERGED_CELLS = 500_000
