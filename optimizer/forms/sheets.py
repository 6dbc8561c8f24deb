"""The spreadsheet files: an .xlsx workbook or a folder of CSVs, read into grids of cells and written from tables.

This is the only part of the forms that knows files and their formats; the
meaning of the cells is in :mod:`optimizer.forms.book` (reading) and
:mod:`optimizer.forms.layout` (writing).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.errors import Problem, ScenarioError
from optimizer.forms.cells import OPTIONAL, TABLES, csv_text

Grids = dict[str, tuple[str, list[list[Any]]]]  # table -> (how to name it, rows of cells)
Layout = dict[str, tuple[list[str], list[list[Any]]]]  # table -> (column names, rows of values)


def _unknown(where: str, kind: str) -> Problem:
    return Problem(where, f"unknown {kind}: the tables are {', '.join(TABLES)}; rename or remove it (a name starting with _ is ignored)")


def csv_grids(folder: Path) -> tuple[Grids, list[Problem], bool]:
    """The CSV files of ``folder`` as grids (every cell as text), the problems found, and False: not a workbook."""
    if not folder.is_dir():
        raise ScenarioError([Problem(str(folder), "is not a folder: a CSV scenario is a folder of CSV files, one per table")])
    grids: Grids = {}
    problems: list[Problem] = []
    for file in sorted(folder.iterdir()):
        if file.suffix.lower() != ".csv":
            continue
        if file.stem not in TABLES:
            if not file.name.startswith(("_", ".")):
                problems.append(_unknown(file.name, "CSV file"))
            continue
        try:
            frame = pd.read_csv(
                file, header=None, dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False, encoding="utf-8-sig"
            )
            rows = [[c if isinstance(c, str) else "" for c in r] for r in frame.astype(object).values.tolist()]
        except pd.errors.EmptyDataError:
            rows = []
        except UnicodeDecodeError:
            problems.append(Problem(file.name, "is not UTF-8 text: save it as 'CSV UTF-8'"))
            continue
        except Exception as exc:  # noqa: BLE001 - any parser failure is a problem of the input
            problems.append(Problem(file.name, f"cannot be read as CSV: {exc}"))
            continue
        grids[file.stem] = (file.name, rows)
    return grids, problems, False


def xlsx_grids(path: Path) -> tuple[Grids, list[Problem], bool]:
    """The sheets of the workbook at ``path`` as grids (cells as the workbook types them), the problems found, and True."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, na_filter=False, engine="openpyxl")
    except Exception as exc:  # noqa: BLE001 - a damaged or foreign file is a problem of the input
        raise ScenarioError([Problem(str(path), f"cannot be read as an .xlsx workbook: {exc}")]) from None
    grids: Grids = {}
    problems: list[Problem] = []
    for name, frame in sheets.items():
        if name in TABLES:
            grids[name] = (f"sheet {name}", frame.values.tolist())
        elif not str(name).startswith("_"):
            problems.append(_unknown(f"sheet {name}", "sheet"))
    return grids, problems, True


def write_csvs(layout: Layout, folder: Path) -> None:
    """One CSV per table in ``folder``; a folder holding other CSVs is refused, as it would not read back as a scenario."""
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file: a CSV scenario is written to a folder")
    stray = [f.name for f in folder.glob("*.csv") if f.stem not in TABLES and not f.name.startswith(("_", "."))] if folder.exists() else []
    if stray:
        raise ValueError(
            f"{folder} holds other CSV files ({', '.join(sorted(stray))}) that would make it an invalid scenario: use an empty folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    for name in OPTIONAL:  # a table this scenario does not use, left by an earlier one, would be read back as part of it
        if name not in layout and (folder / f"{name}.csv").is_file():
            (folder / f"{name}.csv").unlink()
    for name, (columns, rows) in layout.items():
        frame = pd.DataFrame([[csv_text(v) for v in row] for row in rows], columns=columns, dtype=object)
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\r\n", encoding="utf-8")


def write_xlsx(layout: Layout, path: Path) -> None:
    """One sheet per table, every cell read back as written: text never turns into a formula, and floats keep 17 digits."""
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, (columns, rows) in layout.items():
            pd.DataFrame(rows, columns=columns, dtype=object).to_excel(writer, sheet_name=name, index=False)
            sheet = writer.sheets[name]
            sheet.freeze_panes = "A2"
            for line in sheet.iter_rows():
                for cell in line:
                    if cell.data_type in ("f", "e"):  # text such as "=x" or "#N/A" is text, not a formula or an error
                        cell.data_type = "s"
                    elif isinstance(cell.value, float) and float(f"{cell.value:.16g}") != cell.value:
                        cell._value = repr(cell.value)  # openpyxl writes 16 digits; 17 are needed to round-trip
