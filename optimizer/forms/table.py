"""One table of a spreadsheet scenario: its header checked, its rows kept with the numbers the spreadsheet shows.

A problem in a table is reported where a person looking at the spreadsheet
finds it: by file or sheet, row number as shown, column name and, in a
workbook, cell (``sheet areas row 5 column imd_decile (cell C5)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from optimizer.errors import Problem
from optimizer.forms.cells import BUDGET_YEAR, COLUMNS, PREFIXES, REQUIRED, convert, empty


@dataclass
class Table:
    name: str
    ref: str  # "areas.csv" or "sheet areas"
    excel: bool
    header_row: int
    cols: dict[str, int]  # column name -> index of the cell in a row
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)

    def where(self, row: int | None, col: str | None = None) -> str:
        """A row and column as the spreadsheet shows them (``areas.csv row 5 column imd_decile``)."""
        text = self.ref if row is None else f"{self.ref} row {row}"
        if col is not None:
            text += f" column {col}"
            if self.excel and col in self.cols:
                text += f" (cell {get_column_letter(self.cols[col] + 1)}{row or self.header_row})"
        return text


def get_column_letter(index: int) -> str:
    """openpyxl's column letter (1 -> A), imported when a spreadsheet is being read: openpyxl costs 50 ms of every start-up."""
    from openpyxl.utils import get_column_letter as letter

    return str(letter(index))


def _known(table: str, col: str) -> bool:
    if col in COLUMNS[table] or (table == "pools" and BUDGET_YEAR.match(col)):
        return True
    return any(col.startswith(p) and len(col) > len(p) for p in PREFIXES.get(table, ()))


def _header(raw: Any) -> str:
    if isinstance(raw, float) and math.isnan(raw):
        return ""
    text = raw if isinstance(raw, str) else str(convert(raw, "id") if not empty(raw) else "")
    return text.lstrip() if text.lstrip().startswith(("group:", "pool:")) else text.strip()


def read_table(name: str, ref: str, excel: bool, grid: list[list[Any]], problems: list[Problem]) -> Table | None:
    """The table ``name`` in ``grid``, its header checked (problems appended to ``problems``); None if it has no row at all."""
    rows = [(i + 1, list(cells)) for i, cells in enumerate(grid) if not all(empty(c) for c in cells)]
    if not rows:
        problems.append(Problem(ref, f"is empty: its first row must name its columns ({', '.join(COLUMNS[name])})"))
        return None
    (header_row, header), data = rows[0], rows[1:]
    table = Table(name, ref, excel, header_row, {}, data)
    for j, raw in enumerate(header):
        col = _header(raw)
        if not col:
            if any(j < len(cells) and not empty(cells[j]) for _, cells in data):
                letter = get_column_letter(j + 1) if excel else str(j + 1)
                problems.append(Problem(f"{ref} column {letter}", "has data but no name in the header row: name the column or delete it"))
            continue
        if col in table.cols:
            problems.append(Problem(table.where(None, col), "appears twice: keep one column of each name"))
            continue
        table.cols[col] = j
        if not _known(name, col):
            hint = " (is the file separated by semicolons? save it comma-separated)" if ";" in col else ""
            extra = {"pools": ", budget_y1..budget_yH", "areas": ", group:NAME, pool:ID", "interventions": ", pool:ID"}.get(name, "")
            problems.append(
                Problem(
                    table.where(None, col),
                    f"unknown column: remove or rename it; the {name} table's columns are {', '.join(COLUMNS[name])}{extra}{hint}",
                )
            )
    for col in REQUIRED[name]:
        if col not in table.cols:
            problems.append(Problem(table.where(None, col), "is missing: add this column"))
    if name == "pools":
        years = sorted(int(m.group(1)) for c in table.cols if (m := BUDGET_YEAR.match(c)))
        if years != list(range(1, len(years) + 1)):
            problems.append(Problem(ref, f"budget columns must run budget_y1, budget_y2, ... without gaps; got years {years}"))
        if not years and "budget" not in table.cols:
            problems.append(
                Problem(table.where(None, "budget"), "is missing: add a budget column (the same every year) or budget_y1..budget_yH")
            )
    return table


def column_of(table: Table, rest: list[str]) -> str | None:
    """The column that the rest of a pointer (past the row it was recorded for) names, if any column holds it."""
    head = rest[0]
    if table.name == "areas" and head == "groups" and len(rest) > 1:
        return "group:" + rest[1]
    if table.name == "pools" and head == "budget":
        return f"budget_y{int(rest[1]) + 1}" if len(rest) > 1 and rest[1].isdigit() else None
    return head if head in COLUMNS[table.name] else None
