"""Excel (.xlsx) exports: the rows of a CSV export as one worksheet, in constant memory.

openpyxl's write-only mode streams each row to a temporary file as it is added; an .xlsx is a zip archive
whose directory comes last, so the file is sent in chunks once the sheet is complete. Cells arrive already
neutralised by the export's own CSV rule (a leading quote before = + - @ ...), so both formats hold the same
text; every cell is written as a text cell, so a spreadsheet never evaluates one. Characters XML 1.0 cannot
carry (control characters) become U+FFFD instead of failing the export. The last row is "#rows=<n>", like
the CSV trailer.
"""

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from voketag.common.v1 import formats_pb2
from voketag.errors import InvalidArgument

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TRAILER = "#rows="
CHUNK_BYTES = 256 * 1024


def requested(value: int) -> bool:
    """True when an export request's format asks for .xlsx; CSV is the default."""
    if value not in formats_pb2.ExportFormat.values():
        raise InvalidArgument("INVALID_FIELD", "unknown export format", fields={"format": "unknown"})
    return value == formats_pb2.EXPORT_FORMAT_XLSX


class SheetWriter:
    """One worksheet of text rows; ``chunks()`` ends the sheet and streams the workbook."""

    def __init__(self, title: str, header: Sequence[str]) -> None:
        # Imported on the first export, not at start: openpyxl is some 18 MB that an idle service never uses.
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        self._cell = WriteOnlyCell
        self._illegal = ILLEGAL_CHARACTERS_RE
        self._book = Workbook(write_only=True)
        self._sheet: WriteOnlyWorksheet = self._book.create_sheet(title)
        self.rows = 0
        self._append(header)

    def _append(self, cells: Sequence[str]) -> None:
        row = []
        for text in cells:
            cell = self._cell(self._sheet, value=self._illegal.sub("\ufffd", text))
            # Always a text cell: openpyxl would otherwise store a value starting with "=" as a formula.
            cell.data_type = "s"
            row.append(cell)
        self._sheet.append(row)

    def add(self, cells: Sequence[str]) -> None:
        self._append(cells)
        self.rows += 1

    async def chunks(self) -> AsyncIterator[bytes]:
        self._append([f"{TRAILER}{self.rows}"])
        handle, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(handle)
        try:
            await asyncio.to_thread(self._book.save, path)
            with open(path, "rb") as saved:  # noqa: ASYNC230 - chunked reads of a local temporary file
                while chunk := await asyncio.to_thread(saved.read, CHUNK_BYTES):
                    yield chunk
        finally:
            os.unlink(path)
