"""A text file's encoding, decided once for the whole file: UTF-8 (with or without its BOM) or
GB18030, never a mixture, and never a file that only looks like text.

The common file, UTF-8, costs one pass of C-level work (an incremental decoder over 1 MB
chunks and a search for a second BOM); only a file that is not UTF-8 whole is looked at line
by line. A row that does not fit the file's encoding is refused by its row number (the header
is row 1; a quoted newline does not start a row), as is a BOM after the start (two files
joined); UTF-16 and UTF-32 (by their BOM, or by the NUL bytes of UTF-16 without one) and a
workbook under another name (.xlsx, .xls) are refused whole. A NUL byte in a cell is left to
the cell's checks, which refuse it by row and column.

Which of UTF-8 and GB18030 a file is, when not all of it is UTF-8: the first line that tells
them apart decides. A line that is not UTF-8 is GB18030; a UTF-8 line is UTF-8 unless its
bytes also read as GB2312 (the common Chinese characters every sales system writes), which
a UTF-8 line of Chinese text almost never does and a GB18030 line that happens to be valid
UTF-8 nearly always does. After that, a row of the other encoding is refused: the file is
not re-decoded.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

from sixplustwo.domain.errors import InvalidInput

UTF8_BOM = codecs.BOM_UTF8
_CHUNK = 1 << 20
# A CSV cell is read up to this many characters (Python's csv stops at 131,072).
CSV_CELL_MAX = 16 * 1024 * 1024


def text_encoding(path: Path) -> str:
    """``utf-8-sig``, ``utf-8`` or ``gb18030`` for the whole file, or the refusal naming
    the first row that keeps it from being one text in one encoding."""
    with path.open("rb") as file:
        start = file.read(4096)
        if start.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
            raise InvalidInput(
                "{path}: an Excel 97-2003 workbook (.xls), not CSV text; save it as .xlsx or "
                "CSV UTF-8",
                path=path,
            )
        if start.startswith(b"PK\x03\x04"):
            raise InvalidInput(
                "{path}: a zip archive (an .xlsx workbook?), not CSV text", path=path
            )
        if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_like(start):
            raise InvalidInput(
                "{path}: UTF-16 or UTF-32 text; save it as CSV UTF-8 (or GB18030), or as .xlsx",
                path=path,
            )
        bom = start.startswith(UTF8_BOM)
        file.seek(0)
        failure = _utf8_failure(file, path)
    if failure is None:
        return "utf-8-sig" if bom else "utf-8"
    if bom:
        raise InvalidInput(
            "{path}, row {row}: not UTF-8, though the file begins with UTF-8's byte-order "
            "mark; save the whole file in one encoding",
            path=path,
            row=row_at(path, failure),
        )
    return _decided_by_lines(path)


def _utf8_failure(file, path: Path) -> int | None:
    """The offset of the first byte that is not UTF-8, or None; a BOM after the ones the
    file begins with (some tools write two) is refused on the way."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    lead = 0  # the bytes of the BOMs the file begins with
    tail = b""  # the last bytes of the chunk before, for a BOM split between two chunks
    while chunk := file.read(_CHUNK):
        if offset == 0:
            while chunk.startswith(UTF8_BOM, lead):
                lead += len(UTF8_BOM)
        base = offset - len(tail)
        found = (tail + chunk).find(UTF8_BOM, max(0, lead - base))
        if found >= 0:
            _refuse_bom(path, base + found)
        tail = chunk[-2:]
        if not (chunk.isascii() and not decoder.getstate()[0]):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the bytes the decoder held from the chunk before, then this one.
                return offset + exc.start - (len(exc.object) - len(chunk))
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return offset - len(decoder.getstate()[0])
    return None


def _utf16_like(start: bytes) -> bool:
    """UTF-16 without a BOM: its ASCII characters (commas, digits, line ends) put a NUL in
    every other byte, on one side only (a binary file has them on both)."""
    if b"\0" not in start:
        return False
    even, odd = sorted((start[0::2].count(0), start[1::2].count(0)))
    return odd > len(start) // 8 and even < odd // 8


def _decided_by_lines(path: Path) -> str:
    """A file that is not UTF-8 whole: GB18030, or a refusal (see the module's note)."""
    decided: str | None = None
    offset = 0
    with path.open("rb") as file:
        for line in file:
            if not line.isascii():
                try:
                    line.decode("utf-8")
                    failure = None
                except UnicodeDecodeError as exc:
                    failure = exc.start
                if failure is None:  # UTF-8, or GB18030 that happens to read as UTF-8
                    if decided != "utf-8" and not _reads_as_gb2312(line):
                        if decided == "gb18030":
                            raise InvalidInput(
                                "{path}, row {row}: UTF-8 in a GB18030 file; save the whole "
                                "file in one encoding",
                                path=path,
                                row=row_at(path, offset),
                            )
                        decided = "utf-8"
                    if decided == "utf-8" and UTF8_BOM in line:
                        _refuse_bom(path, offset + line.index(UTF8_BOM))
                elif decided == "utf-8":
                    raise InvalidInput(
                        "{path}, row {row}: not UTF-8 like the rows before it (GB18030?); "
                        "save the whole file in one encoding",
                        path=path,
                        row=row_at(path, offset + failure),
                    )
                else:
                    decided = "gb18030"
                    try:
                        text = line.decode("gb18030")
                    except UnicodeDecodeError as exc:
                        raise InvalidInput(
                            "{path}, row {row}: neither UTF-8 nor GB18030 text",
                            path=path,
                            row=row_at(path, offset + exc.start),
                        ) from None
                    if "\ufeff" in text[1 if offset == 0 else 0 :]:
                        _refuse_bom(path, offset)
            offset += len(line)
    # Only a file that failed as UTF-8 comes here: some line was not UTF-8.
    if decided != "gb18030":  # pragma: no cover - the UTF-8 pass found a failure
        raise InvalidInput("{path}: neither UTF-8 nor GB18030 text", path=path)
    return decided


def _reads_as_gb2312(line: bytes) -> bool:
    try:
        line.decode("gb18030").encode("gb2312")
    except UnicodeError:
        return False
    return True


def refuse_nul(path: Path, offset: int) -> None:
    raise InvalidInput(
        "{path}, row {row}: a NUL byte, which a list of customers never holds",
        path=path,
        row=row_at(path, offset),
    )


def _refuse_bom(path: Path, offset: int) -> None:
    raise InvalidInput(
        "{path}, row {row}: a byte-order mark (U+FEFF) inside the file (two files joined?); "
        "save it again as one file",
        path=path,
        row=row_at(path, offset),
    )


def row_at(path: Path, offset: int) -> int:
    """The CSV row (the header is row 1) that holds the byte at ``offset``. Quotes, commas
    and line ends are ASCII, never part of a UTF-8 or GB18030 character, so the rows are
    counted over the bytes read as Latin-1."""
    if csv.field_size_limit() < CSV_CELL_MAX:
        csv.field_size_limit(CSV_CELL_MAX)
    with path.open("rb") as file:
        head = file.read(offset)
    # A character glued to the head belongs to the row the offset is in.
    reader = csv.reader(io.StringIO(head.decode("latin-1") + "x", newline=""))
    rows = 0
    try:
        for _ in reader:
            rows += 1
    except csv.Error:
        return max(1, reader.line_num)
    return max(1, rows)
