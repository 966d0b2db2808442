"""The demo's sample files, with every date shifted so the sample is always current."""

from __future__ import annotations

import csv
import io
import tempfile
import tomllib
from dataclasses import replace
from datetime import date
from importlib import resources
from pathlib import Path

from sixplustwo.domain.owners import OwnerRecord
from sixplustwo.io.importing import read_owner_file


def _text(name: str) -> str:
    return resources.files("sixplustwo.samples").joinpath(name).read_text("utf-8-sig")


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_text(name))))


class Sample:
    """The sample data as of ``today``: every date moved by today − the reference day."""

    def __init__(self, today: date) -> None:
        reference = date.fromisoformat(tomllib.loads(_text("demo.toml"))["reference_date"])
        self.shift = today - reference
        self.today = today

    def _day(self, text: str) -> date | None:
        return date.fromisoformat(text) + self.shift if text else None

    def projects(self) -> list[tuple[str, str, str, date | None, date | None]]:
        return [
            (
                r["code"],
                r["name"],
                r["city"],
                self._day(r["delivery_date"]),
                self._day(r.get("opening_date") or ""),
            )
            for r in _rows("projects.csv")
        ]

    def milestones(self) -> list[tuple[str, str, date]]:
        return [(r["project"], r["kind"], self._day(r["date"])) for r in _rows("milestones.csv")]

    def owners(self) -> list[OwnerRecord]:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "owners.csv"
            path.write_text(_text("owners.csv"), encoding="utf-8")
            # Validated as of the reference day, when every sample date is in the past.
            parsed = read_owner_file(path, self.today - self.shift)
        if parsed.problems:
            raise ValueError(f"sample owners.csv is broken: {parsed.problems[0]}")
        return [self._shift_owner(record) for _, record in parsed.records]

    def _shift_owner(self, record: OwnerRecord) -> OwnerRecord:
        def moved(day: date | None) -> date | None:
            return None if day is None else day + self.shift

        birthday = record.birthday
        if birthday is not None:
            birthday = birthday + self.shift
            if birthday > self.today:  # keep the birth year in the past
                birthday = birthday.replace(year=birthday.year - 1)
        return replace(
            record,
            visited_on=moved(record.visited_on),
            subscribed_on=moved(record.subscribed_on),
            signed_on=moved(record.signed_on),
            delivery_date=moved(record.delivery_date),
            delivered_on=moved(record.delivered_on),
            birthday=birthday,
        )

    def events(self) -> list[dict]:
        return [
            {
                "owner_row": int(r["owner_row"]),
                "kind": r["kind"],
                "on": self._day(r["date"]),
                "channel": r["channel"] or None,
                "score": int(r["score"]) if r["score"] else None,
                "note": r["note"] or None,
            }
            for r in _rows("events.csv")
        ]

    def cases(self) -> list[dict]:
        return [
            {
                "owner_row": int(r["owner_row"]),
                "kind": r["kind"],
                "note": r["note"],
                "opened": self._day(r["opened"]),
                "resolved": self._day(r["resolved"]),
            }
            for r in _rows("cases.csv")
        ]
