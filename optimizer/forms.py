"""Scenario forms: JSON (canonical), gzipped JSON, YAML, an .xlsx workbook, a folder of CSVs.

A scenario is one JSON document (MODEL.md, "Scenario"); the other forms are
conversions of it, and a scenario converted to any form and back has the same
:func:`~optimizer.scenario.scenario_hash` (and the same solver block).

* :func:`load_data` reads any form into the plain document, before validation;
* :func:`load_scenario` reads and validates it (raises :class:`ScenarioError`);
* :func:`save_scenario` writes any form.

Spreadsheet forms hold one table per sheet (or per ``NAME.csv`` file), laid
out in ``docs/forms.md``; the conversion between tables and document is in
this module's second half. A problem found in a spreadsheet is located by
table, row and column (and cell, in a workbook) as well as by the JSON pointer
of the document, e.g. ``areas.csv row 5 column imd_decile -> /areas/3/imd_decile``.
"""

from __future__ import annotations

import difflib
import gzip
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pandas as pd
import yaml
from openpyxl.utils import get_column_letter
from pydantic import BaseModel

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.scenario import DECILES, Scenario, canonical_dict, parse_scenario

FORMS = ("json", "json.gz", "yaml", "xlsx", "csv")
#: The tables of the spreadsheet forms, in the order they are written.
TABLES = ("scenario", "pools", "agencies", "outcomes", "unit_costs", "areas", "interventions", "effects")
MAX_BYTES = 256 * 2**20  # the largest document read (England's 32,844 LSOAs need ~10 MB)
EXCEL_CELL_LIMIT = 32_767  # characters in one Excel cell

# -- the spreadsheet layout: column -> kind of cell ---------------------------------------------
_COLUMNS: dict[str, dict[str, str]] = {
    "scenario": {"key": "str", "value": "str"},
    "pools": {"id": "id", "name": "label", "budget": "float", "areas": "ids", "interventions": "ids", "reinvest_rate": "float"},
    "agencies": {"id": "id", "name": "label"},
    "outcomes": {"id": "id", "name": "label", "social_value": "float"},
    "unit_costs": {"outcome": "id", "agency": "id", "unit_cost": "float"},
    "areas": {"id": "id", "name": "label?", "imd_decile": "int", "imd_rank": "int", "population": "float"},
    "interventions": {"id": "id", "name": "label", "target_group": "id", "unit_cost": "float", "max_coverage": "float",
                      "fixed_cost": "float", "min_participants": "float", "capacity": "float"},
    "effects": {"intervention": "id", "outcome": "id", "per_participant": "float", "lag_years": "int", "duration_years": "int",
                "low": "float", "high": "float"},
}
_REQUIRED = {
    "scenario": ("key", "value"), "pools": ("id", "name"), "agencies": ("id", "name"), "outcomes": ("id", "name"),
    "unit_costs": ("outcome", "agency", "unit_cost"), "areas": ("id", "imd_decile", "population"),
    "interventions": ("id", "name", "target_group", "unit_cost", "max_coverage"), "effects": ("intervention", "outcome", "per_participant"),
}
_PREFIXES = {"areas": ("group:", "pool:"), "interventions": ("pool:",)}
_BUDGET_YEAR = re.compile(r"budget_y([1-9][0-9]*)$")
_SCENARIO_KEYS = {
    "schema_version": "int", "name": "label", "horizon_years": "int", "appraisal_years": "int", "discount_rate": "float",
    "policy.community_wealth_fund.min_share": "float", "policy.community_wealth_fund.max_decile": "int",
    "policy.community_wealth_fund.basis": "str", "policy.community_wealth_fund.per_capita_floor": "float",
    "policy.no_agency_worse_off": "bool", "policy.social_value_weight": "float", "policy.area_cap": "float",
    **{f"policy.equity_weights.{d}": "float" for d in DECILES},
    "solver.name": "str", "solver.time_limit": "float", "solver.mip_gap": "float",
}
_LISTS = ("pools", "agencies", "outcomes", "areas", "interventions")


class _Absent:
    """An empty cell: the field is left out (its default applies)."""


ABSENT = _Absent()


# =============================================================================================
# forms, reading and writing
# =============================================================================================


def form_of(path: str | Path, form: str | None = None) -> str:
    """The form of ``path``: by ``form`` if given, else by extension; a folder (or no extension) is ``csv``."""
    if form is not None:
        if form not in FORMS:
            raise ValueError(f"unknown form {form!r}: use one of {', '.join(FORMS)}")
        return form
    p = Path(path)
    name = p.name.lower()
    for suffix, found in ((".json.gz", "json.gz"), (".json", "json"), (".yaml", "yaml"), (".yml", "yaml"), (".xlsx", "xlsx")):
        if name.endswith(suffix):
            return found
    if p.is_dir() or not p.suffix:
        return "csv"
    hint = {".csv": "give the folder that holds scenario.csv, pools.csv, ... rather than one CSV file",
            ".xls": "save the workbook as .xlsx", ".ods": "save the workbook as .xlsx"}.get(p.suffix.lower(), "")
    raise ValueError(f"cannot tell the form of {p.name!r} from its extension: use .json, .json.gz, .yaml, .yml, .xlsx or a folder of CSVs"
                     + (f"; {hint}" if hint else ""))


def load_data(path: str | Path) -> dict[str, Any]:
    """The plain scenario document in the file or folder at ``path``, before validation."""
    data, book = _read(Path(path))
    if book is not None and book.problems:
        raise ScenarioError(book.problems)
    return data


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate the scenario at ``path`` (any form). Raises :class:`ScenarioError`, never a traceback."""
    data, book = _read(Path(path))
    if book is None:
        return parse_scenario(data)
    try:
        scenario = parse_scenario(data)
        problems = list(book.problems)
    except ScenarioError as exc:
        problems = book.problems + [book.locate(p) for p in exc.problems if not book.covered(p.loc)]
    if problems:
        raise ScenarioError(problems)
    return scenario


def save_scenario(scenario: Scenario, path: str | Path, form: str | None = None) -> Path:
    """Write ``scenario`` to ``path`` in ``form`` (by default, by the extension). Returns the path written."""
    path = Path(path)
    form = form_of(path, form)
    doc = _whole_numbers(canonical_dict(scenario, with_solver=True), _integer_fields(Scenario))
    path.parent.mkdir(parents=True, exist_ok=True)
    if form in ("json", "json.gz"):
        text = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
        data = text.encode("utf-8")
        path.write_bytes(gzip.compress(data, mtime=0) if form == "json.gz" else data)
    elif form == "yaml":
        path.write_text(yaml.dump(doc, Dumper=_YamlDumper, sort_keys=True, allow_unicode=True, width=1_000_000), encoding="utf-8")
    elif form == "xlsx":
        _write_xlsx(_layout(doc, excel=True), path)
    else:
        _write_csvs(_layout(doc, excel=False), path)
    return path


def _types(annotation: Any) -> list[Any]:
    """The plain types in an annotation (through ``Annotated``, unions, lists and dicts)."""
    if get_origin(annotation) is Annotated:
        return _types(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType, list, dict):
        return [t for arg in get_args(annotation) for t in _types(arg)]
    return [annotation]


def _integer_fields(model: type[BaseModel]) -> set[str]:
    """Names of the fields that the schema types as whole numbers, in ``model`` and the models it holds."""
    names: set[str] = set()
    for name, info in model.model_fields.items():
        types = _types(info.annotation)
        if int in types and float not in types:
            names.add(name)
        for sub in types:
            if isinstance(sub, type) and issubclass(sub, BaseModel):
                names |= _integer_fields(sub)
    return names


def _whole_numbers(value: Any, names: set[str], key: str = "") -> Any:
    """The canonical document with whole-number fields as ints, so that the strict schema reads it back."""
    if isinstance(value, dict):
        return {k: _whole_numbers(v, names, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(v, names, key) for v in value]
    if key in names and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _read(path: Path) -> tuple[Any, _Book | None]:
    try:
        form = form_of(path)
    except ValueError as exc:
        raise ScenarioError([Problem(str(path), str(exc))]) from None
    if not path.exists():
        raise ScenarioError([Problem(str(path), "not found: check the path")])
    if form in ("json", "json.gz", "yaml"):
        text = _read_text(path, form == "json.gz")
        data = _parse_yaml(text, path) if form == "yaml" else _parse_json(text, path)
        if not isinstance(data, dict):
            raise ScenarioError([Problem(str(path), "a scenario must be a mapping of field names to values")])
        return data, None
    book = _Book.from_grids(*(_xlsx_grids(path) if form == "xlsx" else _csv_grids(path)))
    return book.build(), book


def _read_text(path: Path, gz: bool) -> str:
    try:
        if gz:
            with gzip.open(path, "rb") as fh:
                raw = fh.read(MAX_BYTES + 1)
        else:
            if path.stat().st_size > MAX_BYTES:
                raise ScenarioError([Problem(str(path), f"is larger than {MAX_BYTES >> 20} MB")])
            raw = path.read_bytes()
    except (OSError, EOFError) as exc:
        raise ScenarioError([Problem(str(path), f"cannot be read: {exc}")]) from None
    if len(raw) > MAX_BYTES:
        raise ScenarioError([Problem(str(path), f"is larger than {MAX_BYTES >> 20} MB once decompressed")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError([Problem(f"{path} byte {exc.start}", "is not UTF-8 text: save the file as UTF-8")]) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice in one object: keep one")
        out[key] = value
    return out


def _parse_json(text: str, path: Path) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise ScenarioError([Problem(f"{path} line {exc.lineno} column {exc.colno}", f"not valid JSON: {exc.msg}")]) from None
    except (ValueError, RecursionError) as exc:
        raise ScenarioError([Problem(str(path), f"not a valid scenario document: {exc}")]) from None


class _YamlLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML (libyaml's when built) without aliases (``*name``) or duplicate keys; integer keys become strings."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:  # a node met twice is an alias
            raise yaml.MarkedYAMLError(None, None, "aliases (*name) are not allowed in a scenario: write the value out", node.start_mark)
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            key = (key_node.tag, str(key_node.value))
            if isinstance(key_node, yaml.ScalarNode) and key in seen:
                raise yaml.MarkedYAMLError(None, None, f"key {key_node.value!r} appears twice in one mapping: keep one", key_node.start_mark)
            seen.add(key)
        data = super().construct_mapping(node, deep=deep)
        return {str(k) if isinstance(k, int) and not isinstance(k, bool) else k: v for k, v in data.items()}


class _YamlDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Safe YAML that quotes (and escapes) text holding characters a YAML reader takes for line breaks."""


def _represent_text(dumper: Any, value: str) -> Any:
    style = '"' if any(c in value for c in "\x85\u2028\u2029\ufeff") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_YamlDumper.add_representer(str, _represent_text)


def _parse_yaml(text: str, path: Path) -> Any:
    try:
        return yaml.load(text, Loader=_YamlLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path} line {mark.line + 1} column {mark.column + 1}" if mark is not None else str(path)
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem(where, f"not valid YAML: {what}")]) from None
    except (ValueError, RecursionError) as exc:
        raise ScenarioError([Problem(str(path), f"not a valid scenario document: {exc}")]) from None


# -- spreadsheet files -------------------------------------------------------------------------

Grids = dict[str, tuple[str, list[list[Any]]]]  # table -> (how to name it, rows of cells)


def _unknown(where: str, kind: str) -> Problem:
    return Problem(where, f"unknown {kind}: the tables are {', '.join(TABLES)}; rename or remove it (a name starting with _ is ignored)")


def _csv_grids(folder: Path) -> tuple[Grids, list[Problem], bool]:
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
            frame = pd.read_csv(file, header=None, dtype=str, keep_default_na=False, na_filter=False,
                                skip_blank_lines=False, encoding="utf-8-sig")
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


def _xlsx_grids(path: Path) -> tuple[Grids, list[Problem], bool]:
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


def _write_csvs(layout: dict[str, tuple[list[str], list[list[Any]]]], folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file: a CSV scenario is written to a folder")
    stray = [f.name for f in folder.glob("*.csv") if f.stem not in TABLES and not f.name.startswith(("_", "."))] if folder.exists() else []
    if stray:
        raise ValueError(f"{folder} holds other CSV files ({', '.join(sorted(stray))}) that would make it an invalid scenario: use an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    for name, (columns, rows) in layout.items():
        frame = pd.DataFrame([[_text(v) for v in row] for row in rows], columns=columns, dtype=object)
        frame.to_csv(folder / f"{name}.csv", index=False, lineterminator="\r\n", encoding="utf-8")


def _write_xlsx(layout: dict[str, tuple[list[str], list[list[Any]]]], path: Path) -> None:
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


# =============================================================================================
# cells
# =============================================================================================


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value == "")


def _convert(value: Any, kind: str) -> Any:
    """A cell's value as the document wants it (``ABSENT`` when empty); raises ValueError saying what to do."""
    if isinstance(value, float) and math.isnan(value):
        raise ValueError("holds a spreadsheet error (such as #N/A or #DIV/0!): replace it with a value, or leave it empty")
    if kind in ("id", "label", "label?", "str"):
        if _empty(value):
            return "" if kind == "label" else ABSENT
        if isinstance(value, str):
            return value.strip() if kind == "str" else value
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, float):
            return str(int(value)) if value.is_integer() else repr(value)
        raise ValueError(f"must be text; got {value!r}: format the cell as text")
    if kind == "ids":
        text = _convert(value, "id")
        if text is ABSENT:
            return ABSENT
        if text.lstrip().startswith("["):
            try:
                ids = json.loads(text)
            except ValueError:
                ids = None
            if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
                raise ValueError('starts with "[" but is not a JSON list of ids such as ["a", "b"]')
            return ids
        ids = [part.strip() for part in text.split(";") if part.strip()]
        if not ids:
            raise ValueError("lists no ids: leave the cell empty for all, or write [] for none")
        return ids
    if isinstance(value, str):
        value = value.strip()
    if _empty(value):
        return ABSENT
    if kind == "bool":
        word = str(value).lower()
        if word in ("true", "yes", "y", "1"):
            return True
        if word in ("false", "no", "n", "0"):
            return False
        raise ValueError(f"must be true or false; got {value!r}")
    return _number(value, kind)


def _number(value: Any, kind: str) -> int | float:
    number: Any = value
    if isinstance(value, str):
        try:
            number = int(value) if kind == "int" and re.fullmatch(r"[+-]?[0-9]+", value) else float(value)
        except ValueError:
            hint = next((h for c, h in ((",", "write it without thousands separators"), ("%", "write a share as a fraction, e.g. 0.5"),
                                         ("£", "write it without the currency sign")) if c in value), "")
            raise ValueError(f"must be a number; got {value!r}" + (f": {hint}" if hint else "")) from None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        got = repr(value) if isinstance(value, bool) else f"{type(value).__name__} {value}"
        raise ValueError(f"must be a number; got {got}: format the cell as a number")
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"must be a finite number; got {value!r}")
    if kind == "int":
        if isinstance(number, float):
            if not number.is_integer():
                raise ValueError(f"must be a whole number; got {value!r}")
            number = int(number)
        return number
    return float(number)


def _text(value: Any) -> str:
    """A value as a CSV cell: exact (floats keep all their digits), integral amounts without ``.0``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


def _ids_text(ids: list[str]) -> str:
    """A footprint as a cell: ``a;b;c``, or a JSON list where that would be ambiguous (``[]``, ids with ``;``...)."""
    plain = bool(ids) and all(i and i == i.strip() and ";" not in i for i in ids) and not ids[0].startswith("[")
    return ";".join(ids) if plain else json.dumps(ids, ensure_ascii=False)


# =============================================================================================
# tables -> document, with every problem located by table, row and column
# =============================================================================================


@dataclass
class _Table:
    name: str
    ref: str  # "areas.csv" or "sheet areas"
    excel: bool
    header_row: int
    cols: dict[str, int]  # column name -> index of the cell in a row
    rows: list[tuple[int, list[Any]]]  # (row number as the spreadsheet shows it, cells)

    def where(self, row: int | None, col: str | None = None) -> str:
        text = self.ref if row is None else f"{self.ref} row {row}"
        if col is not None:
            text += f" column {col}"
            if self.excel and col in self.cols:
                text += f" (cell {get_column_letter(self.cols[col] + 1)}{row or self.header_row})"
        return text


def _known(table: str, col: str) -> bool:
    if col in _COLUMNS[table] or (table == "pools" and _BUDGET_YEAR.match(col)):
        return True
    return any(col.startswith(p) and len(col) > len(p) for p in _PREFIXES.get(table, ()))


def _header(raw: Any) -> str:
    if isinstance(raw, float) and math.isnan(raw):
        return ""
    text = raw if isinstance(raw, str) else str(_convert(raw, "id") if not _empty(raw) else "")
    return text.lstrip() if text.lstrip().startswith(("group:", "pool:")) else text.strip()


def _table(name: str, ref: str, excel: bool, grid: list[list[Any]], problems: list[Problem]) -> _Table | None:
    rows = [(i + 1, list(cells)) for i, cells in enumerate(grid) if not all(_empty(c) for c in cells)]
    if not rows:
        problems.append(Problem(ref, f"is empty: its first row must name its columns ({', '.join(_COLUMNS[name])})"))
        return None
    (header_row, header), data = rows[0], rows[1:]
    table = _Table(name, ref, excel, header_row, {}, data)
    for j, raw in enumerate(header):
        col = _header(raw)
        if not col:
            if any(j < len(cells) and not _empty(cells[j]) for _, cells in data):
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
            problems.append(Problem(table.where(None, col), f"unknown column: remove or rename it; the {name} table's columns are "
                                                            f"{', '.join(_COLUMNS[name])}{extra}{hint}"))
    for col in _REQUIRED[name]:
        if col not in table.cols:
            problems.append(Problem(table.where(None, col), "is missing: add this column"))
    if name == "pools":
        years = sorted(int(m.group(1)) for c in table.cols if (m := _BUDGET_YEAR.match(c)))
        if years != list(range(1, len(years) + 1)):
            problems.append(Problem(ref, f"budget columns must run budget_y1, budget_y2, ... without gaps; got years {years}"))
        if not years and "budget" not in table.cols:
            problems.append(Problem(table.where(None, "budget"), "is missing: add a budget column (the same every year) or budget_y1..budget_yH"))
    return table


@dataclass
class _Book:
    """The tables of one spreadsheet scenario, and where each part of the document came from."""

    tables: dict[str, _Table]
    problems: list[Problem] = field(default_factory=list)
    records: dict[str, tuple[str, int | None, str | None]] = field(default_factory=dict)  # pointer -> (table, row, column)
    bad: set[str] = field(default_factory=set)  # pointers of cells already reported

    @classmethod
    def from_grids(cls, grids: Grids, problems: list[Problem], excel: bool) -> _Book:
        tables: dict[str, _Table] = {}
        for name in TABLES:
            if name not in grids:
                if name != "agencies":
                    ref = f"sheet {name}" if excel else f"{name}.csv"
                    problems.append(Problem(ref, f"is missing: add it, with the columns {', '.join(_COLUMNS[name])} (see docs/forms.md)"))
                continue
            ref, grid = grids[name]
            table = _table(name, ref, excel, grid, problems)
            if table is not None:
                tables[name] = table
        if problems:
            raise ScenarioError(problems)
        return cls(tables)

    def _cell(self, table: _Table, row: int, cells: list[Any], col: str, kind: str, ptr: str | None) -> Any:
        j = table.cols[col]
        try:
            return _convert(cells[j] if j < len(cells) else "", kind)
        except ValueError as exc:
            where = table.where(row, col)
            self.problems.append(Problem(f"{where} -> {ptr}" if ptr else where, str(exc)))
            if ptr:
                self.bad.add(ptr)
            return ABSENT

    def _items(self, name: str, skip: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        table = self.tables.get(name)
        self.records[f"/{name}"] = (name, None, None)
        if table is None:
            return []
        spec = [(c, k) for c, k in _COLUMNS[name].items() if c in table.cols and c not in skip]
        items = []
        for k, (row, cells) in enumerate(table.rows):
            base = f"/{name}/{k}"
            self.records[base] = (name, row, None)
            item = {c: v for c, kind in spec if (v := self._cell(table, row, cells, c, kind, f"{base}/{c}")) is not ABSENT}
            items.append(item)
        return items

    def build(self) -> dict[str, Any]:
        """The scenario document; cell problems are kept in ``problems`` (and those cells left out)."""
        self.records[""] = ("scenario", None, None)
        doc = self._scenario()
        pools = self._items("pools", skip=("budget",))
        self._budgets(pools)
        if "agencies" in self.tables:
            doc["agencies"] = self._items("agencies")
        outcomes = self._items("outcomes")
        self._unit_costs(outcomes)
        areas = self._items("areas")
        interventions = self._items("interventions")
        self._groups(areas)
        self._effects(interventions)
        self._footprints(pools, "areas", areas)
        self._footprints(pools, "interventions", interventions)
        doc.update(pools=pools, outcomes=outcomes, areas=areas, interventions=interventions)
        return doc

    def _scenario(self) -> dict[str, Any]:
        doc: dict[str, Any] = {}
        table, seen = self.tables["scenario"], {}
        for row, cells in table.rows:
            key = self._cell(table, row, cells, "key", "str", None)
            if key is ABSENT:
                self.problems.append(Problem(table.where(row, "key"), "is empty but the row has a value: give the key or delete the row"))
                continue
            ptr = pointer(key.split("."))
            kind = _SCENARIO_KEYS.get(key)
            if kind is None:
                near = difflib.get_close_matches(key, _SCENARIO_KEYS, n=1)
                hint = f" (did you mean {near[0]}?)" if near else " (the keys are listed in docs/forms.md)"
                self.problems.append(Problem(f"{table.where(row, 'key')} -> {ptr}", f"unknown key {key!r}: remove or rename it{hint}"))
                continue
            if key in seen:
                self.problems.append(Problem(table.where(row, "key"), f"{key} appears twice (first in row {seen[key]}): keep one row"))
                continue
            seen[key] = row
            self.records[ptr] = ("scenario", row, "value")
            value = self._cell(table, row, cells, "value", kind, ptr)
            if value is not ABSENT:
                *parents, last = key.split(".")
                target = doc
                for part in parents:
                    target = target.setdefault(part, {})
                target[last] = value
        return doc

    def _budgets(self, pools: list[dict[str, Any]]) -> None:
        table = self.tables["pools"]
        years = sorted((int(m.group(1)), c) for c in table.cols if (m := _BUDGET_YEAR.match(c)))
        for k, (row, cells) in enumerate(table.rows):
            base = f"/pools/{k}/budget"
            figures = [self._cell(table, row, cells, c, "float", f"{base}/{n - 1}") for n, c in years]
            while figures and figures[-1] is ABSENT and f"{base}/{len(figures) - 1}" not in self.bad:
                figures.pop()
            gaps = [c for (n, c), f in zip(years, figures, strict=False) if f is ABSENT and f"{base}/{n - 1}" not in self.bad]
            for col in gaps:
                self.problems.append(Problem(f"{table.where(row, col)} -> {base}", "is empty but a later year has a budget: give every year a budget (0 for none)"))
            scalar = self._cell(table, row, cells, "budget", "float", base) if "budget" in table.cols else ABSENT
            if scalar is not ABSENT and figures:
                self.problems.append(Problem(f"{table.where(row, 'budget')} -> {base}", "give either budget (the same every year) or budget_y1.., not both"))
            elif scalar is not ABSENT:
                pools[k]["budget"] = scalar
                self.records[base] = ("pools", row, "budget")
            elif figures and not gaps and ABSENT not in figures:
                pools[k]["budget"] = figures
            if gaps or ABSENT in figures:
                self.bad.add(base)

    def _unit_costs(self, outcomes: list[dict[str, Any]]) -> None:
        index: dict[Any, int] = {}
        for k, outcome in enumerate(outcomes):
            outcome["unit_costs"] = {}
            index.setdefault(outcome.get("id"), k)
        table = self.tables["unit_costs"]
        for row, cells in table.rows:
            oid = self._cell(table, row, cells, "outcome", "id", None)
            gid = self._cell(table, row, cells, "agency", "id", None)
            if oid is ABSENT or gid is ABSENT:
                col = "outcome" if oid is ABSENT else "agency"
                self.problems.append(Problem(table.where(row, col), f"is empty: give the id of the {col}, or delete the row"))
                continue
            if oid not in index:
                self.problems.append(Problem(table.where(row, "outcome"), f"unknown outcome id {oid!r}: use an id of the outcomes table"))
                continue
            ptr = pointer(("outcomes", index[oid], "unit_costs", gid))
            if ptr in self.records:
                first = self.records[ptr][1]
                self.problems.append(Problem(table.where(row, "agency"), f"outcome {oid!r} has a unit cost for {gid!r} in row {first} already: keep one row"))
                continue
            self.records[ptr] = ("unit_costs", row, "unit_cost")
            cost = self._cell(table, row, cells, "unit_cost", "float", ptr)
            if cost is ABSENT and ptr not in self.bad:
                self.problems.append(Problem(f"{table.where(row, 'unit_cost')} -> {ptr}", "is empty: give the cost (0 for none), or delete the row"))
            elif cost is not ABSENT:
                outcomes[index[oid]]["unit_costs"][gid] = cost

    def _groups(self, areas: list[dict[str, Any]]) -> None:
        table = self.tables["areas"]
        columns = [(c, c.removeprefix("group:")) for c in table.cols if c.startswith("group:")]
        for k, (row, cells) in enumerate(table.rows):
            groups = {}
            for col, group in columns:
                value = self._cell(table, row, cells, col, "float", pointer(("areas", k, "groups", group)))
                if value is not ABSENT:
                    groups[group] = value
            areas[k]["groups"] = groups

    def _effects(self, interventions: list[dict[str, Any]]) -> None:
        index: dict[Any, int] = {}
        for k, intervention in enumerate(interventions):
            intervention["effects"] = []
            index.setdefault(intervention.get("id"), k)
        table = self.tables["effects"]
        spec = [(c, kind) for c, kind in _COLUMNS["effects"].items() if c in table.cols and c != "intervention"]
        for row, cells in table.rows:
            iid = self._cell(table, row, cells, "intervention", "id", None)
            if iid is ABSENT or iid not in index:
                why = "is empty" if iid is ABSENT else f"names an unknown intervention {iid!r}"
                self.problems.append(Problem(table.where(row, "intervention"), f"{why}: use an id of the interventions table"))
                continue
            effects = interventions[index[iid]]["effects"]
            base = f"/interventions/{index[iid]}/effects/{len(effects)}"
            self.records[base] = ("effects", row, None)
            effects.append({c: v for c, kind in spec if (v := self._cell(table, row, cells, c, kind, f"{base}/{c}")) is not ABSENT})

    def _footprints(self, pools: list[dict[str, Any]], name: str, items: list[dict[str, Any]]) -> None:
        """Footprints given as ``pool:ID`` columns (1 = the pool may fund this row) instead of a pools cell."""
        table = self.tables[name]
        index: dict[Any, int] = {}
        for k, pool in enumerate(pools):
            index.setdefault(pool.get("id"), k)
        for col in (c for c in table.cols if c.startswith("pool:")):
            pid = col.removeprefix("pool:")
            if pid not in index or name in pools[index[pid]]:
                why = f"no pool has id {pid!r}" if pid not in index else f"pool {pid!r} has its {name} in the pools table too: give them in one place"
                self.problems.append(Problem(table.where(None, col), why))
                continue
            ids: list[Any] = []
            for (row, cells), item in zip(table.rows, items, strict=True):
                if self._cell(table, row, cells, col, "bool", None) is True and "id" in item:
                    self.records[pointer(("pools", index[pid], name, len(ids)))] = (name, row, col)
                    ids.append(item["id"])
            pools[index[pid]][name] = ids

    def covered(self, loc: str) -> bool:
        """Whether a problem at ``loc`` follows from a cell already reported."""
        parts = loc.split("/")
        return any("/".join(parts[:n]) in self.bad for n in range(2, len(parts) + 1))

    def locate(self, problem: Problem) -> Problem:
        """The problem with its location in the tables (``areas.csv row 5 column imd_decile -> /areas/3/imd_decile``)."""
        parts = problem.loc.split("/")
        for n in range(len(parts), 0, -1):
            record = self.records.get("/".join(parts[:n]))
            if record is not None:
                break
        else:
            return problem
        name, row, col = record
        table = self.tables.get(name)
        if table is None:
            return problem
        rest = [p.replace("~1", "/").replace("~0", "~") for p in parts[n:]]
        msg = problem.msg
        if name == "scenario" and col is None and rest:
            where = f"{table.ref} key {'.'.join(rest)}"
        else:
            if col is None and rest:
                col = _column(table, rest)
            where = table.where(row, col)
        if name == "interventions" and rest == ["effects"]:
            msg += " (give the intervention's effects in the effects table)"
        return Problem(f"{where} -> {problem.loc}" if problem.loc else where, msg)


def _column(table: _Table, rest: list[str]) -> str | None:
    head = rest[0]
    if table.name == "areas" and head == "groups" and len(rest) > 1:
        return "group:" + rest[1]
    if table.name == "pools" and head == "budget":
        return f"budget_y{int(rest[1]) + 1}" if len(rest) > 1 and rest[1].isdigit() else None
    return head if head in _COLUMNS[table.name] else None


# =============================================================================================
# document -> tables
# =============================================================================================

Layout = dict[str, tuple[list[str], list[list[Any]]]]


def _flatten(doc: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, value in doc.items():
        if not prefix and key in _LISTS:
            continue
        if isinstance(value, dict):
            out.extend(_flatten(value, f"{prefix}{key}."))
        else:
            out.append((f"{prefix}{key}", value))
    return out


def _rows(items: list[dict[str, Any]], columns: list[str], table: str) -> list[list[Any]]:
    for item in items:
        unknown = set(item) - set(columns) - {"budget", "groups", "effects", "unit_costs"}
        if unknown:
            raise ValueError(f"the spreadsheet layout has no column for {table} field(s) {sorted(unknown)}: extend optimizer/forms.py")
    return [[item.get(c) for c in columns] for item in items]


def _layout(doc: dict[str, Any], *, excel: bool) -> Layout:
    """The tables of a canonical document (every default filled, budgets as lists)."""
    scenario = _flatten(doc)
    unknown = [k for k, _ in scenario if k not in _SCENARIO_KEYS]
    if unknown:
        raise ValueError(f"the spreadsheet layout has no key for {unknown}: extend optimizer/forms.py")
    horizon = doc["horizon_years"]
    years = [f"budget_y{t}" for t in range(1, horizon + 1)]
    by_column: dict[str, list[tuple[str, set[str]]]] = {"areas": [], "interventions": []}
    pools = []
    for pool in doc["pools"]:
        row = dict(pool, **dict(zip(years, pool["budget"], strict=True)))
        for name in ("areas", "interventions"):
            ids = pool[name]
            row[name] = None if ids is None else _ids_text(ids)
            if excel and row[name] is not None and len(row[name]) > EXCEL_CELL_LIMIT:
                # a footprint is a set (scenario.canonical_dict sorts it), so 1/0 columns hold it exactly
                by_column[name].append((f"pool:{pool['id']}", set(ids)))
                row[name] = None
        pools.append(row)
    pool_columns = ["id", "name", *years, "areas", "interventions", "reinvest_rate"]
    groups = list(dict.fromkeys(g for area in doc["areas"] for g in area["groups"]))
    layout: Layout = {"scenario": (["key", "value"], [[k, v] for k, v in scenario]), "pools": (pool_columns, _rows(pools, pool_columns, "pools"))}
    for name, rows in (("agencies", doc["agencies"]), ("outcomes", doc["outcomes"])):
        layout[name] = (list(_COLUMNS[name]), _rows(rows, list(_COLUMNS[name]), name))
    layout["unit_costs"] = (list(_COLUMNS["unit_costs"]), [[o["id"], g, u] for o in doc["outcomes"] for g, u in o["unit_costs"].items()])
    for name in ("areas", "interventions"):
        columns = list(_COLUMNS[name])
        rows = _rows(doc[name], columns, name)
        extra = [f"group:{g}" for g in groups] if name == "areas" else []
        for row, item in zip(rows, doc[name], strict=True):
            if name == "areas":
                row.extend(item["groups"].get(g) for g in groups)
            row.extend(int(item["id"] in chosen) for _, chosen in by_column[name])
        layout[name] = (columns + extra + [c for c, _ in by_column[name]], rows)
    columns = list(_COLUMNS["effects"])
    layout["effects"] = (columns, [[i["id"], *row] for i in doc["interventions"] for row in _rows(i["effects"], columns[1:], "effects")])
    return {name: layout[name] for name in TABLES}
