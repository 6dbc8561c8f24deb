"""Tables -> document, with every problem located by table, row and column.

A problem found in a spreadsheet is located by table, row and column (and cell,
in a workbook) as well as by the JSON pointer of the document, e.g.
``areas.csv row 5 column imd_decile -> /areas/3/imd_decile``: :class:`Book`
records where each part of the document came from, so that the problems the
schema finds later are located in the tables too (:meth:`Book.locate`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from optimizer.errors import Problem, ScenarioError, pointer
from optimizer.forms.cells import ABSENT, BUDGET_YEAR, COLUMNS, SCENARIO_KEYS, TABLES, convert
from optimizer.forms.sheets import Grids
from optimizer.forms.table import Table, column_of, read_table


@dataclass
class Book:
    """The tables of one spreadsheet scenario, and where each part of the document came from."""

    tables: dict[str, Table]
    problems: list[Problem] = field(default_factory=list)
    records: dict[str, tuple[str, int | None, str | None]] = field(default_factory=dict)  # pointer -> (table, row, column)
    bad: set[str] = field(default_factory=set)  # pointers of cells already reported

    @classmethod
    def from_grids(cls, grids: Grids, problems: list[Problem], excel: bool) -> Book:
        tables: dict[str, Table] = {}
        for name in TABLES:
            if name not in grids:
                if name != "agencies":
                    ref = f"sheet {name}" if excel else f"{name}.csv"
                    problems.append(Problem(ref, f"is missing: add it, with the columns {', '.join(COLUMNS[name])} (see docs/forms.md)"))
                continue
            ref, grid = grids[name]
            table = read_table(name, ref, excel, grid, problems)
            if table is not None:
                tables[name] = table
        if problems:
            raise ScenarioError(problems)
        return cls(tables)

    def _cell(self, table: Table, row: int, cells: list[Any], col: str, kind: str, ptr: str | None) -> Any:
        j = table.cols[col]
        try:
            return convert(cells[j] if j < len(cells) else "", kind)
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
        spec = [(c, k) for c, k in COLUMNS[name].items() if c in table.cols and c not in skip]
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
        table = self.tables["scenario"]
        seen: dict[str, int] = {}
        for row, cells in table.rows:
            key = self._cell(table, row, cells, "key", "str", None)
            if key is ABSENT:
                self.problems.append(Problem(table.where(row, "key"), "is empty but the row has a value: give the key or delete the row"))
                continue
            ptr = pointer(key.split("."))
            kind = SCENARIO_KEYS.get(key)
            if kind is None:
                near = difflib.get_close_matches(key, SCENARIO_KEYS, n=1)
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
        years = sorted((int(m.group(1)), c) for c in table.cols if (m := BUDGET_YEAR.match(c)))
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
        spec = [(c, kind) for c, kind in COLUMNS["effects"].items() if c in table.cols and c != "intervention"]
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
                col = column_of(table, rest)
            where = table.where(row, col)
        if name == "interventions" and rest == ["effects"]:
            msg += " (give the intervention's effects in the effects table)"
        return Problem(f"{where} -> {problem.loc}" if problem.loc else where, msg)
