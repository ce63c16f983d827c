"""CSV in and out (RFC 4180, UTF-8): a streaming import parser and the export writer. Pure logic, no I/O.

Formula-injection guard (OWASP): an exported cell that starts with = + - @ TAB CR or NUL gets a leading
single quote. A cell that starts with a single quote followed by one of those (or by another quote) gets one
too, so the import can remove exactly one leading quote before such a character and a round trip
import(export(batch)) gives back the same external ids.
"""

import codecs
import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from factory_svc.domain import EXTERNAL_ID_CHARS, METADATA_KEY, METADATA_VALUE_CHARS, PRODUCT_METADATA_ENTRIES
from voketag.errors import InvalidArgument

# The export's own columns; each product metadata key of the batch follows as a column of its own.
EXPORT_COLUMNS = (
    "product_id",
    "serial",
    "external_id",
    "token",
    "link",
    "lifecycle",
    "created_at",
    "token_fingerprint",
)
# Export columns the server assigns: an import of an exported file skips them.
SERVER_COLUMNS = frozenset(EXPORT_COLUMNS) - {"external_id"}
# Metadata keys that would collide with an export column (CreateProduct refuses them).
RESERVED_KEYS = frozenset(EXPORT_COLUMNS)
TRAILER = "#rows="
CONTENT_TYPE = "text/csv; charset=utf-8"
_TRIGGERS = frozenset("=+-@\t\r\x00")


def neutralise(cell: str) -> str:
    if cell and (cell[0] in _TRIGGERS or (cell[0] == "'" and len(cell) > 1 and cell[1] in _TRIGGERS | {"'"})):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """Undo ``neutralise``: one leading quote before a trigger character (or a quote) is removed."""
    if len(cell) > 1 and cell[0] == "'" and (cell[1] in _TRIGGERS or cell[1] == "'"):
        return cell[1:]
    return cell


class ExportWriter:
    """Accumulates CSV rows and hands them out in chunks of about ``chunk_bytes``.

    Rows are the EXPORT_COLUMNS cells followed by the metadata of the product, one column per key in
    ``metadata_keys`` (an empty cell for a key the product lacks; the import adds no entry for it).
    """

    def __init__(self, metadata_keys: Sequence[str] = (), chunk_bytes: int = 256 * 1024) -> None:
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")
        self._chunk_bytes = chunk_bytes
        self._keys = [key for key in metadata_keys if key not in RESERVED_KEYS]
        self.rows = 0
        self.header = [*EXPORT_COLUMNS, *self._keys]
        self._writer.writerow(self.header)

    def cells(self, cells: Sequence[str], metadata: Mapping[str, str]) -> list[str]:
        """The row as exported (also to .xlsx): its cells, one per metadata key, formula-injection safe."""
        return [neutralise(cell) for cell in (*cells, *(metadata.get(key, "") for key in self._keys))]

    def add(self, cells: Sequence[str], metadata: Mapping[str, str]) -> bytes | None:
        self._writer.writerow(self.cells(cells, metadata))
        self.rows += 1
        if self._buffer.tell() >= self._chunk_bytes:
            return self._take()
        return None

    def finish(self) -> bytes:
        """The rest, ending with the trailer line that tells a complete file from a truncated one."""
        self._buffer.write(f"{TRAILER}{self.rows}\r\n")
        return self._take()

    def _take(self) -> bytes:
        data = self._buffer.getvalue().encode()
        self._buffer.seek(0)
        self._buffer.truncate()
        return data


@dataclass(frozen=True)
class ImportRow:
    line: int
    position: int
    external_id: str
    metadata: str  # JSON object


def csv_error(line: int, column: str, problem: str) -> InvalidArgument:
    where = f"line {line}" + (f", column {column}" if column else "")
    return InvalidArgument(
        "CSV_INVALID",
        f"{where}: {problem}",
        metadata={"line": str(line), "column": column},
        fields={f"csv.line[{line}]" + (f".{column}" if column else ""): problem},
    )


def too_large(what: str) -> InvalidArgument:
    return InvalidArgument("CSV_TOO_LARGE", f"the CSV upload is too large: {what}", fields={"chunk": what})


class ImportParser:
    """Feed bytes as they arrive; get validated rows back as soon as their records are complete.

    Records are cut at line ends outside quotes (even number of quote characters so far), so a quoted
    field may span lines and chunks. Memory stays bounded by one chunk plus one record.
    """

    def __init__(self, max_rows: int) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self._max_rows = max_rows
        self._partial = ""  # text after the last line end
        self._record: list[str] = []  # lines of a record still inside quotes
        self._quotes = 0
        self._lines_done = 0  # physical lines handed to the csv reader so far
        self._columns: list[str] | None = None
        self._trailer: tuple[int, int] | None = None  # (line, declared row count)
        self.rows = 0

    def feed(self, data: bytes) -> list[ImportRow]:
        try:
            text = self._partial + self._decoder.decode(data)
        except UnicodeDecodeError:
            raise csv_error(self._lines_done + len(self._record) + 1, "", "not valid UTF-8") from None
        lines = text.split("\n")
        self._partial = lines.pop()
        complete: list[str] = []
        for line in lines:
            self._record.append(line + "\n")
            self._quotes += line.count('"')
            if self._quotes % 2 == 0:
                complete.extend(self._record)
                self._record.clear()
                self._quotes = 0
        return self._parse(complete)

    def finish(self) -> list[ImportRow]:
        try:
            tail = self._partial + self._decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise csv_error(self._lines_done + len(self._record) + 1, "", "not valid UTF-8") from None
        lines = [*self._record, tail] if tail else list(self._record)
        self._record.clear()
        rows = self._parse(lines)
        if self._columns is None:
            raise csv_error(1, "", "the file is empty (a header row is required)")
        if self.rows == 0:
            raise csv_error(self._lines_done, "", "the file has no data rows")
        if self._trailer is not None and self._trailer[1] != self.rows:
            line, declared = self._trailer
            raise csv_error(line, "", f"the trailer declares {declared} rows but the file has {self.rows}")
        return rows

    def _parse(self, lines: list[str]) -> list[ImportRow]:
        if not lines:
            return []
        reader = csv.reader(lines, strict=True)
        rows: list[ImportRow] = []
        consumed = 0
        while True:
            line = self._lines_done + consumed + 1
            try:
                fields = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise csv_error(line, "", f"malformed CSV ({exc})") from None
            consumed = reader.line_num
            row = self._accept(line, fields)
            if row is not None:
                rows.append(row)
        self._lines_done += len(lines)
        return rows

    def _accept(self, line: int, fields: list[str]) -> ImportRow | None:
        if not fields or fields == [""]:
            return None  # blank line
        if self._trailer is not None:
            raise csv_error(line, "", f"nothing may follow the {TRAILER}<n> trailer line")
        if self._columns is None:
            self._columns = self._header(fields)
            return None
        if len(fields) == 1 and fields[0].startswith(TRAILER):
            declared = fields[0].removeprefix(TRAILER)
            if not declared.isdigit():
                raise csv_error(line, "", f"the trailer must be {TRAILER}<number of rows>")
            self._trailer = (line, int(declared))
            return None
        if len(fields) != len(self._columns):
            raise csv_error(line, "", f"expected {len(self._columns)} fields, found {len(fields)}")
        self.rows += 1
        if self.rows > self._max_rows:
            raise too_large(f"more than {self._max_rows:,} data rows")
        external_id = ""
        metadata: dict[str, str] = {}
        for column, raw in zip(self._columns, fields, strict=True):
            if column in SERVER_COLUMNS:
                continue
            value = restore(raw)
            if column == "external_id":
                if not value or len(value) > EXTERNAL_ID_CHARS or not value.isprintable():
                    raise csv_error(line, column, f"required, 1..{EXTERNAL_ID_CHARS} printable characters")
                external_id = value
            elif value:
                if len(value) > METADATA_VALUE_CHARS or "\x00" in value:
                    raise csv_error(line, column, f"at most {METADATA_VALUE_CHARS} characters, no NUL")
                metadata[column] = value
        return ImportRow(line, self.rows - 1, external_id, json.dumps(metadata, ensure_ascii=False))

    def _header(self, names: list[str]) -> list[str]:
        if "external_id" not in names:
            raise csv_error(1, "external_id", "the header must name an external_id column")
        seen: set[str] = set()
        for name in names:
            if name in seen:
                raise csv_error(1, name, "duplicate column")
            seen.add(name)
            if name != "external_id" and name not in SERVER_COLUMNS and not METADATA_KEY.fullmatch(name):
                raise csv_error(1, name[:70], "column names must be [a-z][a-z0-9_.-]{0,62}")
        extra = seen - SERVER_COLUMNS - {"external_id"}
        if len(extra) > PRODUCT_METADATA_ENTRIES:
            raise csv_error(1, "", f"at most {PRODUCT_METADATA_ENTRIES} metadata columns")
        return names


def staged(rows: Iterable[ImportRow]) -> list[tuple[int, int, str, str]]:
    return [(row.line, row.position, row.external_id, row.metadata) for row in rows]
