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
from optimizer.forms.cells import ABSENT, BUDGET_YEAR, COLUMNS, OPTIONAL, SCENARIO_KEYS, TABLES, convert
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
                if name not in OPTIONAL:
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

    def _items(self, name: str, skip: tuple[str, ...] = (), at: str = "") -> list[dict[str, Any]]:
        """The rows of table ``name`` as items of the list at ``at`` (by default ``/name``)."""
        table = self.tables.get(name)
        at = at or f"/{name}"
        self.records[at] = (name, None, None)
        if table is None:
            return []
        spec = [(c, k) for c, k in COLUMNS[name].items() if c in table.cols and c not in skip]
        items = []
        for k, (row, cells) in enumerate(table.rows):
            base = f"{at}/{k}"
            self.records[base] = (name, row, None)
            item = {c: v for c, kind in spec if (v := self._cell(table, row, cells, c, kind, f"{base}/{c}")) is not ABSENT}
            items.append(item)
        return items

    def build(self) -> dict[str, Any]:
        """The scenario document; cell problems are kept in ``problems`` (and those cells left out)."""
        self.records[""] = ("scenario", None, None)
        doc = self._scenario()
        pools = self._items("pools", skip=("budget", "cost_share"))
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
        self._responses(interventions)
        self._priorities(doc, areas)
        self._shares(doc, pools)
        if "commitments" in self.tables:
            doc.setdefault("policy", {})["commitments"] = self._items("commitments", at="/policy/commitments")
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
                self.problems.append(
                    Problem(
                        f"{table.where(row, col)} -> {base}",
                        "is empty but a later year has a budget: give every year a budget (0 for none)",
                    )
                )
            scalar = self._cell(table, row, cells, "budget", "float", base) if "budget" in table.cols else ABSENT
            if scalar is not ABSENT and figures:
                self.problems.append(
                    Problem(f"{table.where(row, 'budget')} -> {base}", "give either budget (the same every year) or budget_y1.., not both")
                )
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
                self.problems.append(
                    Problem(table.where(row, "agency"), f"outcome {oid!r} has a unit cost for {gid!r} in row {first} already: keep one row")
                )
                continue
            self.records[ptr] = ("unit_costs", row, "unit_cost")
            cost = self._cell(table, row, cells, "unit_cost", "float", ptr)
            if cost is ABSENT and ptr not in self.bad:
                self.problems.append(
                    Problem(f"{table.where(row, 'unit_cost')} -> {ptr}", "is empty: give the cost (0 for none), or delete the row")
                )
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
                why = (
                    f"no pool has id {pid!r}"
                    if pid not in index
                    else f"pool {pid!r} has its {name} in the pools table too: give them in one place"
                )
                self.problems.append(Problem(table.where(None, col), why))
                continue
            ids: list[Any] = []
            for (row, cells), item in zip(table.rows, items, strict=True):
                if self._cell(table, row, cells, col, "bool", None) is True and "id" in item:
                    self.records[pointer(("pools", index[pid], name, len(ids)))] = (name, row, col)
                    ids.append(item["id"])
            pools[index[pid]][name] = ids

    def _index(self, items: list[dict[str, Any]]) -> dict[Any, int]:
        index: dict[Any, int] = {}
        for k, item in enumerate(items):
            index.setdefault(item.get("id"), k)
        return index

    def _responses(self, interventions: list[dict[str, Any]]) -> None:
        """The responses table (docs/model.md 2.1): one row per band of an intervention, from the lowest coverage up."""
        table = self.tables.get("responses")
        if table is None:
            return
        index = self._index(interventions)
        bands: dict[int, list[tuple[Any, int, list[Any]]]] = {}
        unreadable: set[int] = set()
        for row, cells in table.rows:
            iid = self._cell(table, row, cells, "intervention", "id", None)
            if iid is ABSENT or iid not in index:
                why = "is empty" if iid is ABSENT else f"names an unknown intervention {iid!r}"
                self.problems.append(Problem(table.where(row, "intervention"), f"{why}: use an id of the interventions table"))
                continue
            before = len(self.problems)
            number = self._cell(table, row, cells, "band", "int", None) if "band" in table.cols else ABSENT
            if len(self.problems) > before:
                unreadable.add(index[iid])
            bands.setdefault(index[iid], []).append((number, row, cells))
        for k, rows in bands.items():
            numbers = [n for n, _, _ in rows]
            if k in unreadable:
                self.bad.add(f"/interventions/{k}/response")
                continue
            if any(n is not ABSENT for n in numbers):
                if sorted(n for n in numbers if n is not ABSENT) != list(range(1, len(rows) + 1)):
                    row = next((r for n, r, _ in rows if n is ABSENT), rows[0][1])
                    given = [n if n is not ABSENT else None for n in numbers]
                    self.problems.append(
                        Problem(
                            table.where(row, "band"),
                            f"the bands of intervention {interventions[k]['id']!r} are numbered {given}: number them 1 to "
                            f"{len(rows)}, once each, from the lowest coverage up (or leave every band cell empty)",
                        )
                    )
                    continue
                rows = sorted(rows, key=lambda r: r[0])
            base = f"/interventions/{k}/response"
            self.records[base] = ("responses", rows[0][1], None)
            response = []
            for j, (_, row, cells) in enumerate(rows):
                self.records[f"{base}/{j}"] = ("responses", row, None)
                response.append(
                    {c: v for c in ("up_to", "effect") if (v := self._cell(table, row, cells, c, "float", f"{base}/{j}/{c}")) is not ABSENT}
                )
            interventions[k]["response"] = response

    def _priorities(self, doc: dict[str, Any], areas: list[dict[str, Any]]) -> None:
        """The priorities table (docs/model.md 2.2): points per theme, for the place (area left empty) or for one area."""
        table = self.tables.get("priorities")
        if table is None:
            return
        index = self._index(areas)
        place: dict[str, Any] = {}
        for row, cells in table.rows:
            aid = self._cell(table, row, cells, "area", "id", None) if "area" in table.cols else ABSENT
            theme = self._cell(table, row, cells, "theme", "id", None)
            if aid is not ABSENT and aid not in index:
                self.problems.append(
                    Problem(
                        table.where(row, "area"),
                        f"unknown area id {aid!r}: use an id of the areas table, or leave the cell empty for the points of the whole place",
                    )
                )
                continue
            if theme is ABSENT:
                self.problems.append(Problem(table.where(row, "theme"), "is empty: give the id of the theme, or delete the row"))
                continue
            if aid is ABSENT:
                base, target = "/policy/resident_priorities/weights", place
            else:
                base, target = f"/areas/{index[aid]}/priorities", areas[index[aid]].setdefault("priorities", {})
            ptr = pointer((*base.strip("/").split("/"), theme))
            if ptr in self.records:
                first = self.records[ptr][1]
                whose = "the place" if aid is ABSENT else f"area {aid!r}"
                self.problems.append(
                    Problem(table.where(row, "theme"), f"{whose} has points for theme {theme!r} in row {first} already: keep one row")
                )
                continue
            self.records.setdefault(base, ("priorities", row, None))
            self.records[ptr] = ("priorities", row, "points")
            points = self._cell(table, row, cells, "points", "float", ptr)
            if points is ABSENT and ptr not in self.bad:
                self.problems.append(
                    Problem(f"{table.where(row, 'points')} -> {ptr}", "is empty: give the points (0 for none), or delete the row")
                )
                self.bad.add(ptr)
            elif points is not ABSENT:
                target[theme] = points
        if place or "/policy/resident_priorities/weights" in self.records:
            doc.setdefault("policy", {}).setdefault("resident_priorities", {})["weights"] = place
            self.records.setdefault("/policy/resident_priorities", self.records["/policy/resident_priorities/weights"])
        elif "resident_priorities" in doc.get("policy", {}):
            strength = self.records.get("/policy/resident_priorities/strength", ("scenario", None, None))[1]
            where = self.tables["scenario"].where(strength, "key") if strength else table.ref
            self.problems.append(
                Problem(
                    f"{where} -> /policy/resident_priorities/weights",
                    "gives the residents' priorities a strength but the priorities table gives the place no points: "
                    "add rows with the area left empty, one per theme, or remove the key",
                )
            )
            self.bad.add("/policy/resident_priorities/weights")

    def _shares(self, doc: dict[str, Any], pools: list[dict[str, Any]]) -> None:
        """The pools' agreed shares of the cost (docs/model.md 2.4), in the pools table's cost_share column."""
        table = self.tables["pools"]
        shares: dict[Any, Any] = {}
        if "cost_share" in table.cols:
            for k, (row, cells) in enumerate(table.rows):
                pid = pools[k].get("id")
                if pid is None:
                    continue
                ptr = pointer(("policy", "cost_sharing", "shares", pid))
                self.records[ptr] = ("pools", row, "cost_share")
                share = self._cell(table, row, cells, "cost_share", "float", ptr)
                if share is not ABSENT:
                    shares[pid] = share
            self.records["/policy/cost_sharing/shares"] = ("pools", None, "cost_share")
            self.records.setdefault("/policy/cost_sharing", ("pools", None, "cost_share"))
        policy = doc.get("policy", {})
        if shares:
            policy.setdefault("cost_sharing", {})["shares"] = shares
            doc["policy"] = policy
        elif (policy.get("cost_sharing") or {}).get("rule") == "shares":
            rule_row = self.records.get("/policy/cost_sharing/rule", ("scenario", None, None))[1]
            where = self.tables["scenario"].where(rule_row, "value") if rule_row else table.ref
            self.problems.append(
                Problem(
                    f"{where} -> /policy/cost_sharing/shares",
                    "is shares, but the pools table gives no pool a cost_share: add a cost_share column to the pools "
                    "table with each pool's agreed share (0 for none)",
                )
            )
            self.bad.add("/policy/cost_sharing/shares")

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
        if name == "priorities" and "named by no outcome" in msg:
            where = table.where(row, "theme")
        return Problem(f"{where} -> {problem.loc}" if problem.loc else where, msg)
