"""The SMS platform's delivery report as a file (CSV or XLSX): rows validated one at a time
(domain/receipts.py), each problem naming its row and column as the file calls it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import ClassVar

from sixplustwo.domain.errors import InvalidInput
from sixplustwo.domain.receipts import RECEIPT_ALIASES, ReceiptRow, receipt_row
from sixplustwo.io.importing import TableFile


class ReceiptFile(TableFile):
    """A delivery report: a status, and the action id or the phone and day of each message."""

    aliases: ClassVar[dict[str, str]] = RECEIPT_ALIASES
    required = ("status",)
    STAND_INS: ClassVar[dict[str, object]] = {"status": "成功", "action_id": "o0:stand-in"}

    def check_header(self) -> None:
        super().check_header()
        fields = set(self._fields)
        if "action_id" not in fields and not {"phone", "date"} <= fields:
            raise InvalidInput(
                "{path}: header names neither the action id (action_id, OutId, 外部流水号) "
                "nor the phone and the date (手机号码, 发送时间)",
                path=self.path,
            )

    def _data_rows(self) -> Iterator[tuple[int, list[object]]]:
        # A spreadsheet's time of sending is a datetime: its day is what counts.
        for row_number, row in super()._data_rows():
            yield row_number, [cell.date() if isinstance(cell, datetime) else cell for cell in row]

    def validate(self, values: dict[str, object]) -> ReceiptRow:
        return receipt_row(values)
