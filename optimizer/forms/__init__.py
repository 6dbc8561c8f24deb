"""Scenario forms: JSON (canonical), gzipped JSON, YAML, an .xlsx workbook, a folder of CSVs.

A scenario is one JSON document (docs/model.md, "Scenario"); the other forms are
conversions of it, and a scenario converted to any form and back has the same
:func:`~optimizer.scenario.scenario_hash` (and the same solver block).

* :func:`load_data` reads any form into the plain document, before validation;
* :func:`load_scenario` reads and validates it (raises :class:`ScenarioError`);
* :func:`save_scenario` writes any form.

This module tells the forms apart and dispatches; the forms themselves are in

* :mod:`optimizer.forms.text`: JSON, gzipped JSON and YAML;
* :mod:`optimizer.forms.sheets`: the workbook and CSV files, as grids of cells;
* :mod:`optimizer.forms.cells`: the spreadsheet layout (``docs/forms.md``) and one cell each way;
* :mod:`optimizer.forms.table` and :mod:`optimizer.forms.book`: tables -> document;
* :mod:`optimizer.forms.layout`: document -> tables.

A problem found in a spreadsheet is located by table, row and column (and cell,
in a workbook) as well as by the JSON pointer of the document, e.g.
``areas.csv row 5 column imd_decile -> /areas/3/imd_decile``.
"""

from __future__ import annotations

from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from optimizer.errors import Problem, ScenarioError
from optimizer.forms.book import Book
from optimizer.forms.cells import ABSENT, EXCEL_CELL_LIMIT, TABLES
from optimizer.forms.layout import layout_of
from optimizer.forms.sheets import Grids, Layout, csv_grids, write_csvs, write_xlsx, xlsx_grids
from optimizer.forms.text import MAX_BYTES, read_document, write_json, write_yaml
from optimizer.scenario import Scenario, canonical_dict, parse_scenario

__all__ = [
    "ABSENT",
    "EXCEL_CELL_LIMIT",
    "FORMS",
    "MAX_BYTES",
    "TABLES",
    "Grids",
    "Layout",
    "form_of",
    "load_data",
    "load_scenario",
    "save_scenario",
]

FORMS = ("json", "json.gz", "yaml", "xlsx", "csv")


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
    hint = {
        ".csv": "give the folder that holds scenario.csv, pools.csv, ... rather than one CSV file",
        ".xls": "save the workbook as .xlsx",
        ".ods": "save the workbook as .xlsx",
    }.get(p.suffix.lower(), "")
    raise ValueError(
        f"cannot tell the form of {p.name!r} from its extension: use .json, .json.gz, .yaml, .yml, .xlsx or a folder of CSVs"
        + (f"; {hint}" if hint else "")
    )


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
        write_json(doc, path, gz=form == "json.gz")
    elif form == "yaml":
        write_yaml(doc, path)
    elif form == "xlsx":
        write_xlsx(layout_of(doc, excel=True), path)
    else:
        write_csvs(layout_of(doc, excel=False), path)
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


def _read(path: Path) -> tuple[dict[str, Any], Book | None]:
    """The document at ``path`` and, for a spreadsheet form, the book that locates its problems in the tables."""
    try:
        form = form_of(path)
    except ValueError as exc:
        raise ScenarioError([Problem(str(path), str(exc))]) from None
    if not path.exists():
        raise ScenarioError([Problem(str(path), "not found: check the path")])
    if form in ("json", "json.gz", "yaml"):
        return read_document(path, form), None
    book = Book.from_grids(*(xlsx_grids(path) if form == "xlsx" else csv_grids(path)))
    return book.build(), book
