"""From a residents' survey to priorities (docs/residents.md): points per theme, normalised, averaged, thresholded.

A survey is a table of rows ``respondent, area, theme, points``: one row per
theme a respondent gave points to. Each respondent's points are normalised to
100; the place's weights are the mean of the normalised points per theme over
every respondent (a respondent who gave a theme nothing counts 0 for it), and
an area with at least ``min_respondents`` respondents gets the same mean over
its own residents. An area below the threshold gets no weights of its own: it
uses the place's, so that no small group can be singled out.

Everything is done on whole columns (pandas): 100,000 rows aggregate in well
under a second (``python -m benchmarks.residents``).

The raw rows never leave this module: :class:`Aggregate` holds weights and
counts only, and no message of :func:`aggregate` quotes a respondent id or a
number of points (a row and a column say where the problem is).
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from optimizer.errors import Problem, ResidentsInputError
from optimizer.scenario import Scenario, parse_scenario

COLUMNS = ("respondent", "area", "theme", "points")
#: the fewest respondents an area needs for weights of its own (docs/residents.md, "The threshold")
DEFAULT_MIN_RESPONDENTS = 10
#: each respondent's points are scaled to sum to this
TOTAL_POINTS = 100.0
#: at most this many rows are named per kind of problem (then "and N more")
MAX_ROWS_NAMED = 10

#: a location for a data row and a column: (0-based data row, column) -> text
Locate = Callable[[int | None, str | None], str]


def csv_locator(name: str) -> Locate:
    """Rows as a spreadsheet shows them: ``responses.csv row 5 column points`` (the header is row 1)."""

    def where(row: int | None, col: str | None) -> str:
        text = name if row is None else f"{name} row {row + 2}"
        return text + (f" column {col}" if col else "")

    return where


def rows_locator(base: str = "/rows") -> Locate:
    """JSON rows: ``/rows/3/points`` (0-based, as a JSON pointer)."""

    def where(row: int | None, col: str | None) -> str:
        text = base if row is None else f"{base}/{row}"
        return text + (f"/{col}" if col else "")

    return where


#: what an area's respondents are shown as below the threshold (its count is not published)
BELOW_THRESHOLD: Literal["below threshold"] = "below threshold"


@dataclass(frozen=True)
class Aggregate:
    """What a survey says, without any respondent in it: weights, counts, and how far each area is from the place.

    ``area_weights`` holds only the areas at or above ``min_respondents``; ``respondents`` counts every area
    that answered (callers that publish counts hide those below the threshold: :meth:`published_counts`).
    """

    place_weights: dict[str, float]
    area_weights: dict[str, dict[str, float]]
    respondents: dict[str, int]
    distance: dict[str, float]
    min_respondents: int
    themes: tuple[str, ...] = field(default=())

    @property
    def total_respondents(self) -> int:
        return sum(self.respondents.values())

    def published_counts(self, area_ids: list[str] | None = None) -> dict[str, int | Literal["below threshold"]]:
        """Respondents per area as they may be shown: the count at or above the threshold, else ``"below threshold"``.

        Areas of ``area_ids`` that no one answered from are below the threshold too (0 is a count like any other).
        """
        ids = area_ids if area_ids is not None else sorted(self.respondents)
        return {a: (n if (n := self.respondents.get(a, 0)) >= self.min_respondents else BELOW_THRESHOLD) for a in ids}


def read_csv(source: Path | str | bytes, name: str | None = None) -> pd.DataFrame:
    """The survey's table as text columns (nothing converted yet: :func:`aggregate` checks it).

    ``source`` is a path, or the CSV's text (``str`` or UTF-8 ``bytes``). Raises :class:`ResidentsInputError`
    when it cannot be read as a table.
    """
    label = name or (str(source) if isinstance(source, Path) else "responses.csv")
    try:
        if isinstance(source, Path):
            handle: Any = source
        else:
            handle = io.StringIO(source.decode("utf-8-sig") if isinstance(source, bytes) else source.lstrip("\ufeff"))
        return pd.read_csv(handle, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ResidentsInputError(
            [Problem(label, f"is empty: give a header row {', '.join(COLUMNS)} and one row per respondent and theme")]
        ) from None
    except FileNotFoundError:
        raise ResidentsInputError([Problem(label, "not found: check the path")]) from None
    except (OSError, ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else ""
        raise ResidentsInputError(
            [
                Problem(
                    label,
                    f"is not a readable CSV table ({type(exc).__name__}: {first}): "
                    f"give a UTF-8 CSV file with a header row {', '.join(COLUMNS)}",
                )
            ]
        ) from None


def _rows(mask: np.ndarray | pd.Series, where: Locate, col: str | None, why: str) -> list[Problem]:
    """One problem naming the first rows where ``mask`` holds (``why`` says what is wrong and the fix)."""
    index = np.flatnonzero(np.asarray(mask))
    if len(index) == 0:
        return []
    named = [where(int(i), col) for i in index[:MAX_ROWS_NAMED]]
    more = f" (and {len(index) - MAX_ROWS_NAMED} more rows)" if len(index) > MAX_ROWS_NAMED else ""
    if len(index) == 1:
        return [Problem(named[0], why)]
    return [Problem(named[0], f"{why}; the same in {', '.join(named[1:])}{more}")]


def aggregate(
    frame: pd.DataFrame, *, min_respondents: int = DEFAULT_MIN_RESPONDENTS, scenario: Scenario | None = None, where: Locate | None = None
) -> Aggregate:
    """The survey's weights and counts. Raises :class:`ResidentsInputError` listing every problem, each at its row and column.

    With ``scenario``, an area it does not list or a theme none of its outcomes names is an error too.
    """
    where = where or csv_locator("responses.csv")
    if min_respondents < 1:
        raise ResidentsInputError([Problem("min_respondents", f"must be at least 1; got {min_respondents}")])
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise ResidentsInputError(
            [
                Problem(
                    where(None, c),
                    f"column {c!r} is missing (columns found: {found}): give the columns {', '.join(COLUMNS)} in a header row",
                )
                for c in missing
            ]
        )
    if len(frame) == 0:
        raise ResidentsInputError([Problem(where(None, None), "has no rows: give one row per respondent and theme")])
    text = {c: frame[c].astype(str).str.strip() for c in ("respondent", "area", "theme")}
    raw_points = frame["points"]
    points = pd.to_numeric(raw_points, errors="coerce").astype(float)
    problems: list[Problem] = []
    for c in ("respondent", "area", "theme"):
        problems += _rows(text[c] == "", where, c, f"is empty: give the {c} of every row, or delete the row")
    empty_points = raw_points.astype(str).str.strip() == ""
    problems += _rows(empty_points, where, "points", "is empty: give the points (0 or more) of every row, or delete the row")
    problems += _rows(points.isna() & ~empty_points, where, "points", "is not a number: give the points as a number, 0 or more")
    problems += _rows(np.isinf(points), where, "points", "is not a finite number: give the points as a number, 0 or more")
    problems += _rows(points < 0, where, "points", "is negative: points are 0 or more (give 0 to a theme that does not matter)")
    resp, area, theme = text["respondent"], text["area"], text["theme"]
    problems += _rows(
        pd.DataFrame({"r": resp, "t": theme}).duplicated().to_numpy(),
        where,
        "theme",
        "names a theme its respondent has already given points to (in an earlier row): give each respondent one row per theme",
    )
    areas_of = pd.DataFrame({"r": resp, "a": area}).groupby("r", sort=False)["a"].transform("nunique")
    problems += _rows(
        areas_of > 1,
        where,
        "area",
        "gives its respondent a different area than another row of theirs: a respondent "
        "lives in one area; correct the area (or the respondent id)",
    )
    ok = pd.Series(np.isfinite(points) & (points >= 0), index=points.index)
    valid = points.where(ok, 0.0)
    totals = valid.groupby(resp, sort=False).transform("sum")
    refused = (~ok).groupby(resp, sort=False).transform("any")  # a respondent with a bad row is reported for that row alone
    problems += _rows(
        (totals <= 0) & ~refused,
        where,
        "points",
        "belongs to a respondent whose points are all 0: that respondent says nothing "
        "about priorities; give at least one theme some points, or delete their rows",
    )
    if scenario is not None:
        area_ids = {a.id for a in scenario.areas}
        named = {t for o in scenario.outcomes for t in (o.themes or ())}
        problems += _rows(
            ~area.isin(area_ids),
            where,
            "area",
            "names an area the scenario does not list: use an id of the scenario's /areas (the survey's and the scenario's ids must match)",
        )
        hint = (
            f"themes named by the outcomes: {', '.join(sorted(named))}"
            if named
            else "no outcome of the scenario names any theme: add themes to its /outcomes first"
        )
        for t in sorted(set(theme[~theme.isin(named) & (theme != "")])):
            problems += _rows(theme == t, where, "theme", f"theme {t!r} is named by no outcome of the scenario (a likely typo): {hint}")
    if problems:
        raise ResidentsInputError(problems)

    respondents = resp.nunique()
    if respondents < min_respondents:
        raise ResidentsInputError(
            [
                Problem(
                    where(None, "respondent"),
                    f"the survey has fewer than {min_respondents} respondents (the threshold) in all: weights from "
                    "so few would single them out; collect more responses, or lower min_respondents",
                )
            ]
        )
    normalised = valid / totals * TOTAL_POINTS
    table = pd.DataFrame({"respondent": resp, "area": area, "theme": theme, "points": normalised})
    themes = tuple(sorted(table["theme"].unique()))
    place = table.groupby("theme")["points"].sum().reindex(list(themes), fill_value=0.0) / respondents
    counts = table.groupby("area")["respondent"].nunique()
    big = counts[counts >= min_respondents]
    sums = table[table["area"].isin(big.index)].groupby(["area", "theme"])["points"].sum().unstack("theme")
    sums = sums.reindex(columns=list(themes), fill_value=0.0).fillna(0.0) if len(sums) else pd.DataFrame(columns=list(themes))
    by_area = sums.div(big.reindex(sums.index), axis=0)
    # total variation distance between the area's weights and the place's, both as shares of 100
    tvd = (by_area.sub(place, axis=1).abs().sum(axis=1) / (2 * TOTAL_POINTS)) if len(by_area) else pd.Series(dtype=float)
    place_weights = {str(t): _tidy(v) for t, v in place.items()}
    area_weights = {str(a): {str(t): _tidy(v) for t, v in row.items()} for a, row in by_area.iterrows()}
    return Aggregate(
        place_weights=place_weights,
        area_weights=area_weights,
        respondents={str(a): int(n) for a, n in counts.items()},
        distance={str(a): float(round(v, 9)) for a, v in tvd.items()},
        min_respondents=min_respondents,
        themes=themes,
    )


def _tidy(value: float) -> float:
    """Points to 6 decimal places (a millionth of a point), -0.0 as 0.0: the weights written are read by people."""
    return float(round(float(value), 6)) + 0.0


def with_priorities(data: dict[str, Any], agg: Aggregate, strength: float | None = None) -> tuple[dict[str, Any], Scenario]:
    """A new version of the scenario document with the survey's weights in it, validated. ``data`` itself is not changed.

    ``schema_version`` becomes 2; ``policy.resident_priorities.weights`` becomes the place's weights, its
    ``strength`` is kept (else ``strength``, else the contract's default 0); every area at or above the
    threshold gets its own ``priorities``, and every other area loses any it had (it uses the place's).
    """
    doc = copy.deepcopy(data)
    doc["schema_version"] = 2
    policy = doc.setdefault("policy", {})
    old = policy.get("resident_priorities") if isinstance(policy.get("resident_priorities"), dict) else {}
    kept = old.get("strength", 0.0) if strength is None else strength
    policy["resident_priorities"] = {"strength": float(kept), "weights": dict(agg.place_weights)}
    for area in doc.get("areas", []):
        if not isinstance(area, dict):
            continue
        own = agg.area_weights.get(str(area.get("id")))
        if own is not None:
            area["priorities"] = dict(own)
        else:
            area.pop("priorities", None)
    return doc, parse_scenario(doc)
