"""A text file's encoding, decided once for the whole file: UTF-8 (with or without its BOM) or
GB18030, never a mixture, and never a file that only looks like text.

The common file, UTF-8, costs one pass of C-level work (an incremental decoder over 1 MB
chunks and a search for a second BOM); only a file that is not UTF-8 whole is looked at line
by line. A row that does not fit the file's encoding is refused by its row number (the header
is row 1; a quoted newline does not start a row), as is a BOM after the start (two files
joined); UTF-16 and UTF-32 (by their BOM, or by the NUL bytes of UTF-16 without one) and a
workbook under another name (.xlsx, .xls) are refused whole. A NUL byte in a cell is left to
the cell's checks, which refuse it by row and column.

Which of UTF-8 and GB18030 a file is, when not all of it is UTF-8: a file with a UTF-8 line
of Chinese before its first line that is not UTF-8 is a UTF-8 file with a row of another
encoding, refused at that row; else it is GB18030, and a UTF-8 line of Chinese after that is
refused. A UTF-8 line of Chinese is told by its bytes: valid UTF-8, with a byte GB2312 never
uses (0x80-0xA0, nearly every UTF-8 line of Chinese has one), and not readable as GB2312
(the common characters every sales system writes), which a GB18030 line that happens to be
valid UTF-8 nearly always is. The file is never re-decoded in another encoding.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
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
    return _decided_by_lines(path, failure)


def _utf8_failure(file, path: Path) -> int | None:
    """The offset of the first byte that is not UTF-8, or None; a BOM after the ones the
    file begins with (some tools write two) is refused on the way. The search for it is in
    the decoded text (a third of the cost of searching the bytes)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    leading = True  # no character but BOMs yet
    while chunk := file.read(_CHUNK):
        held = len(decoder.getstate()[0])  # bytes of a character the last chunk began
        if held or not chunk.isascii():
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                return offset - held + exc.start
            start = 0
            if leading:
                start = len(text) - len(text.lstrip("\ufeff"))
                leading = start == len(text)
            found = text.find("\ufeff", start)
            if found >= 0:
                _refuse_bom(path, offset - held + len(text[:found].encode()))
        else:
            leading = False
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


# A line with a byte GB2312 never uses (0x80-0xA0): where a UTF-8 line of Chinese shows
# itself (its continuation bytes), and GBK's extra characters.
_SUSPECT = re.compile(rb"[\x80-\xa0]")


def _decided_by_lines(path: Path, failure: int) -> str:
    """A file whose first byte that is not UTF-8 is at ``failure``: GB18030, or a refusal
    (see the module's note). Block by block in C (a GB18030 decoder, a search for the lines
    that may be UTF-8); only those lines are looked at one by one."""
    decoder = codecs.getincrementaldecoder("gb18030")()
    with path.open("rb") as file:
        for offset, block in _blocks(file):
            position = 0
            while match := _SUSPECT.search(block, position):
                start = block.rfind(b"\n", 0, match.start()) + 1
                position = block.find(b"\n", match.start()) + 1 or len(block)
                line = block[start:position]
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError:
                    continue
                if _reads_as_gb2312(line):
                    continue  # GB18030 that happens to read as UTF-8
                at = offset + start
                if at < failure:  # UTF-8 before the first row that is not
                    raise InvalidInput(
                        "{path}, row {row}: not UTF-8 like the rows before it (GB18030?); "
                        "save the whole file in one encoding",
                        path=path,
                        row=row_at(path, failure),
                    )
                raise InvalidInput(
                    "{path}, row {row}: UTF-8 in a GB18030 file; save the whole file in one "
                    "encoding",
                    path=path,
                    row=row_at(path, at),
                )
            try:
                text = decoder.decode(block)
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    "{path}, row {row}: neither UTF-8 nor GB18030 text",
                    path=path,
                    row=row_at(path, offset + exc.start - (len(exc.object) - len(block))),
                ) from None
            bom = text.find("\ufeff", 1 if offset == 0 else 0)
            if bom >= 0:
                _refuse_bom(path, offset + len(text[:bom].encode("gb18030")))
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InvalidInput(
                "{path}, row {row}: neither UTF-8 nor GB18030 text",
                path=path,
                row=row_at(path, max(0, file.tell() - 1)),
            ) from None
    return "gb18030"


def _blocks(file) -> Iterator[tuple[int, bytes]]:
    """The file in blocks of whole lines (the last maybe without its line end), each with
    its offset."""
    offset = 0
    rest = b""
    while chunk := file.read(_CHUNK):
        block = rest + chunk
        cut = block.rfind(b"\n") + 1
        if cut:
            yield offset, block[:cut]
            offset += cut
        rest = block[cut:]
    if rest:
        yield offset, rest


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
