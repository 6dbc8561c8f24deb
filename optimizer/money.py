"""Money in pence at the edge: a result, a CSV, a workbook and an appraisal pack as a ledger reads them.

The solver and every computation keep full precision; only what is written out is
rounded, here, once. Two rules:

* every amount of money is a whole number of pence, and every total equals the sum
  of its rounded parts to the penny: the parts are rounded by the largest-remainder
  method (each part floored to the penny, then the pennies the floors lost go, one
  each, to the parts with the largest remainders), so that they add up to the total
  rounded once;
* every ratio (benefit-cost ratio, deprived share, return, shadow price: pounds per
  pound, per participant or per percentage point) is given to :data:`RATIO_FIGURES`
  significant figures.

:func:`in_pence` does this to a result document (``optimizer.result.Result.to_dict``);
the independent checker (``optimizer/check.py``) is given the unrounded document
(``to_dict`` itself), so its tolerance is unchanged. Written here rather than with
``decimal``: the rounding is of whole arrays (millions of allocation rows) and the
largest-remainder step needs the group sums, which numpy gives at once.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

#: significant figures of a ratio in anything written out
RATIO_FIGURES = 6
#: significant figures of a count of participants (not money: kept close to spend / unit cost)
COUNT_FIGURES = 9


def to_pence(value: float) -> int:
    """``value`` pounds as whole pence (half away from zero)."""
    return int(math.floor(abs(value) * 100 + 0.5)) * (1 if value >= 0 else -1)


def penny(value: float | None) -> float | None:
    """Pounds rounded to the penny (None stays None)."""
    if value is None or not math.isfinite(value):
        return value
    return to_pence(value) / 100


def ratio(value: float | None, figures: int = RATIO_FIGURES) -> float | None:
    """A ratio to ``figures`` significant figures (None stays None)."""
    if value is None or value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.{figures - 1}e}")


def significant(values: np.ndarray, figures: int) -> np.ndarray:
    """Each value to ``figures`` significant figures (an array at once; zeros stay zero)."""
    v = np.asarray(values, dtype=float)
    size = np.abs(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(size > 0, 10.0 ** (figures - 1 - np.floor(np.log10(np.where(size > 0, size, 1.0)))), 1.0)
    return np.asarray(np.round(v * scale) / scale, dtype=np.float64)


def largest_remainder(parts: Sequence[float] | np.ndarray, total: float | None = None) -> np.ndarray:
    """``parts`` as whole pence that add up to ``total`` (default: their sum) rounded to the penny.

    Each part is floored to the penny; the pennies short of the total go, one each,
    to the parts whose floors lost most (ties to the earlier part). Returns int64 pence.
    """
    values = np.asarray(parts, dtype=float) * 100
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    floors = np.floor(values)
    target = to_pence(float(np.sum(values)) / 100 if total is None else total)
    short = int(target - floors.sum())
    order = np.argsort(-(values - floors), kind="stable")
    out: np.ndarray = floors.astype(np.int64)
    whole, rest = divmod(short, len(out))  # whole is 0 unless the total is far from the parts' sum
    out += whole
    out[order[:rest]] += 1
    return out


def grouped_pence(amounts: np.ndarray, groups: Iterable[np.ndarray]) -> np.ndarray:
    """Whole pence of ``amounts`` such that every group's rounded parts add up to the group's sum rounded once."""
    amounts = np.asarray(amounts, dtype=float)
    n = len(amounts)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    codes = [pd.factorize(np.asarray(g))[0] for g in groups]
    gid = np.zeros(n, dtype=np.int64)
    for c in codes:  # one integer per combination of the group keys
        gid = gid * (int(c.max()) + 1) + c
    gid = pd.factorize(gid)[0]
    cents = amounts * 100
    floors = np.floor(cents)
    rem = cents - floors
    count = int(gid.max()) + 1
    target = np.floor(np.bincount(gid, weights=cents, minlength=count) + 0.5)
    short = (target - np.bincount(gid, weights=floors, minlength=count)).astype(np.int64)  # pennies each group's floors lost
    order = np.lexsort((np.arange(n), -rem, gid))  # by group, then largest remainder first, ties to the earlier row
    starts = np.searchsorted(gid[order], np.arange(count))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n) - starts[gid[order]]
    out: np.ndarray = floors.astype(np.int64) + (rank < short[gid])
    return out


def allocation_pence(allocations: pd.DataFrame) -> np.ndarray:
    """Whole pence of each allocation row's spend, each pool's spending in each year adding up to the penny."""
    return grouped_pence(allocations["spend"].to_numpy(), [allocations["pool"].to_numpy(), allocations["year"].to_numpy()])


def _split(total_pence: int, parts: dict[str, float]) -> dict[str, float]:
    keys = list(parts)
    pence = largest_remainder([parts[k] for k in keys], total_pence / 100)
    return {k: int(p) / 100 for k, p in zip(keys, pence, strict=True)}


#: the amounts of a row of the appraisal pack (the lists are year by year)
PACK_AMOUNTS = ("spending", "spending_discounted", "savings_discounted", "social_value", "cashable_savings")
PACK_YEARS = ("spend_by_year", "cash_by_year")


def pack_in_pence(pack: dict[str, Any]) -> dict[str, Any]:
    """The appraisal pack with amounts in pence: each column of the interventions, and of the agencies, adds up to the total row; npv is savings less spending exactly; roi to :data:`RATIO_FIGURES` figures."""
    out = copy.deepcopy(pack)
    total = out["total"]
    for key in PACK_AMOUNTS:
        if total.get(key) is not None:
            total[key] = penny(total[key])
    for key in PACK_YEARS:
        total[key] = [
            int(p) / 100 for p in largest_remainder(total[key], total["spending" if key == "spend_by_year" else "cashable_savings"])
        ]
    for group in ("interventions", "agencies"):  # each column of either adds up to the total row
        rows = out[group]
        for key in PACK_AMOUNTS:
            members = [r for r in rows if r.get(key) is not None]
            if members and total.get(key) is not None:
                for r, p in zip(members, largest_remainder([r[key] for r in members], total[key]), strict=True):
                    r[key] = int(p) / 100
        for key in PACK_YEARS:
            for t, whole in enumerate(total[key]):
                for r, p in zip(rows, largest_remainder([r[key][t] for r in rows], whole), strict=True):
                    r[key][t] = int(p) / 100
    for row in [*out["interventions"], *out["agencies"], total]:
        row["npv"] = (to_pence(row["savings_discounted"]) - to_pence(row["spending_discounted"])) / 100
        row["roi"] = ratio(row.get("roi"))
    out["objective"] = penny(out.get("objective"))
    out["deprived_share"] = ratio(out.get("deprived_share"))
    return out


def in_pence(result: dict[str, Any]) -> dict[str, Any]:
    """A copy of the result document with every amount in pence and every ratio to :data:`RATIO_FIGURES` figures.

    What adds up: each pool's allocations in a year plus its fixed-cost shares make its
    ``spending_by_pool_year``; those make ``total_spending``; ``spending_by_decile`` and the
    interventions' ``spending`` each add up to ``total_spending``; ``spending_by_agency`` and the
    interventions' ``spending_discounted`` to ``total_spending_discounted``; the interventions'
    ``savings`` to the sum of ``savings_by_agency``; ``net_position_by_agency`` is savings less
    spending, exactly. The participants of a row (a count, not money) are given to :data:`COUNT_FIGURES` figures.
    """
    out = {key: value if key == "allocations" else copy.deepcopy(value) for key, value in result.items()}  # the rows are rebuilt
    out["objective"], out["bound"] = penny(out.get("objective")), penny(out.get("bound"))
    by_pool_year: dict[tuple[str, int], int] = {}
    rows = out.get("allocations") or []
    if rows:
        frame = pd.DataFrame(
            {
                "pool": [r["pool"] for r in rows],
                "year": [r["year"] for r in rows],
                "spend": [r["spend"] for r in rows],
                "participants": [r["participants"] for r in rows],
            }
        )
        pence = allocation_pence(frame)
        counts = significant(frame["participants"].to_numpy(), COUNT_FIGURES)
        out["allocations"] = [
            {**row, "spend": int(p) / 100, "participants": float(n)} for row, p, n in zip(rows, pence, counts, strict=True)
        ]
        for row, p in zip(rows, pence.tolist(), strict=True):
            key = (row["pool"], int(row["year"]))
            by_pool_year[key] = by_pool_year.get(key, 0) + p
    for launch in out.get("launches") or []:
        shares = launch.get("fixed_cost_by_pool") or {}
        if shares:
            launch["fixed_cost_by_pool"] = _split(to_pence(sum(shares.values())), shares)
            for pool, amount in launch["fixed_cost_by_pool"].items():
                by_pool_year[(pool, 1)] = by_pool_year.get((pool, 1), 0) + to_pence(amount)
    summary = out.get("summary")
    if summary:
        _summary_in_pence(summary, by_pool_year if rows or out.get("launches") else None)
    prices = out.get("shadow_prices")
    if prices:
        for entry in [*prices.get("budgets", []), *prices.get("rules", [])]:
            entry["value"] = ratio(entry.get("value"))
    for rule in out.get("binding_rules") or []:
        if isinstance(rule.get("value"), float):
            rule["value"] = ratio(rule["value"])
    diagnosis = out.get("diagnosis")
    if diagnosis:
        for change in [*diagnosis.get("changes", []), *(c for a in diagnosis.get("alternatives", []) for c in a.get("changes", []))]:
            if isinstance(change.get("change"), float):
                change["change"] = penny(change["change"])
        for holder in [diagnosis, *diagnosis.get("alternatives", [])]:
            if isinstance(holder.get("total_change"), float):
                holder["total_change"] = penny(holder["total_change"])
    return out


def _summary_in_pence(summary: dict[str, Any], by_pool_year: dict[tuple[str, int], int] | None) -> None:
    rows = summary.get("spending_by_pool_year") or []
    if by_pool_year is not None and rows:
        for row in rows:
            row["spend"] = by_pool_year.get((row["pool"], int(row["year"])), 0) / 100
    elif rows:
        pence = largest_remainder([r["spend"] for r in rows], summary["total_spending"])
        for row, p in zip(rows, pence, strict=True):
            row["spend"] = int(p) / 100
    total = sum(to_pence(r["spend"]) for r in rows) if rows else to_pence(summary["total_spending"])
    summary["total_spending"] = total / 100
    total_d = to_pence(summary["total_spending_discounted"])
    summary["total_spending_discounted"] = total_d / 100
    summary["spending_by_decile"] = _split(total, summary.get("spending_by_decile") or {})
    summary["spending_by_agency"] = _split(total_d, summary.get("spending_by_agency") or {})
    savings = summary.get("savings_by_agency") or {}
    summary["savings_by_agency"] = {g: penny(v) for g, v in savings.items()}
    summary["net_position_by_agency"] = {
        g: (to_pence(summary["savings_by_agency"][g]) - to_pence(summary["spending_by_agency"].get(g, 0.0))) / 100
        for g in summary.get("net_position_by_agency", savings)
    }
    summary["social_value"] = penny(summary.get("social_value"))
    for key in ("benefit_cost_ratio", "deprived_share"):
        summary[key] = ratio(summary.get(key))
    ivs = summary.get("by_intervention") or {}
    if ivs:
        total_savings = sum(to_pence(v) for v in summary["savings_by_agency"].values())
        for key, whole in (("spending", total), ("spending_discounted", total_d), ("savings", total_savings)):
            split = _split(whole, {iv: row[key] for iv, row in ivs.items()})
            for iv, row in ivs.items():
                row[key] = split[iv]
        for row in ivs.values():
            row["benefit_cost_ratio"] = ratio(row.get("benefit_cost_ratio"))
    themes = summary.get("value_by_theme")
    if isinstance(themes, dict):  # version 2 (docs/model.md 2.2): money, in pence
        summary["value_by_theme"] = {t: penny(v) for t, v in themes.items()}
        summary["value_without_theme"] = penny(summary.get("value_without_theme"))
    sharing = summary.get("cost_sharing")
    if isinstance(sharing, dict) and isinstance(sharing.get("deviation"), float):
        sharing["deviation"] = penny(sharing["deviation"])
    ranges = summary.get("pool_spending_range")
    if isinstance(ranges, dict):
        for bounds in ranges.values():
            if isinstance(bounds, dict):
                for key in ("min", "max"):
                    if isinstance(bounds.get(key), float):
                        bounds[key] = penny(bounds[key])
