"""Merging areas that are alike for the programme, and splitting the answer again.

Two areas are *alike* when every coefficient the programme gives them is the
same: the same equity weight and decile, the same membership of the deprived
set D, the same funding footprint (which pools may fund which
intervention there) and the same residents' priority factors rho[a,o]
(docs/model.md 2.2). They differ only in how many people each intervention
can reach, U[a,i].

When no rule of the programme names a single area (no per-capita floor, no
area cap, no commitment in one area) and there are no launch decisions (an LP), alike areas can be merged
into one *area class* whose reach is the sum of theirs, U[c,i] = sum U[a,i]:

* every row of the programme (rules 1, 5, 6, 7, 9) sums participants over
  areas with coefficients that are equal within a class, so it sees only the
  class totals, and so does the objective;
* a solution of the merged programme is split back by giving each area of a
  class the same share of its reach, n[a,i,t] = n[c,i,t] x U[a,i] / U[c,i],
  which keeps every coverage bound (n[c,i,t] <= U[c,i]) and every sum;
* bands of diminishing returns (docs/model.md 2.1) are shares of U, so a
  class's bands are the sums of its areas' and the same share of reach fills
  every area's bands to the same depth: the banded value is the class's too;
* conversely any solution of the full programme sums to a solution of the
  merged one with the same objective.

So both have the same optimum; :func:`optimizer.solve.solve` also checks
every split solution against the unmerged programme's rows before it is
reported. Where a per-capita floor, an area cap or a launch decision exists,
the merge does not apply and the pooled programme is solved as it is
(``tests/test_merge.py`` shows both).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from optimizer.coefficients import Coefficients
from optimizer.programme import Programme
from optimizer.scenario import Scenario


def why_not(s: Scenario, k: Coefficients) -> str | None:
    """Why areas cannot be merged for this scenario, or None when they can."""
    if s.policy.community_wealth_fund.per_capita_floor > 0:
        return "a per-capita floor names single areas"
    if s.policy.area_cap is not None:
        return "an area cap names single areas"
    if k.has_launch.any():
        return "launch decisions (fixed costs or minimum participants) are made per area"
    if any(c.area is not None for c in s.policy.commitments):
        return "a commitment names a single area"
    return None


def merge(k: Coefficients) -> tuple[Coefficients, np.ndarray]:
    """Coefficients over area classes, and the class of each area."""
    n_a = len(k.area_ids)
    footprint = k.allowed.reshape(n_a, -1)
    parts = [k.weight, k.decile, k.deprived, footprint]
    if k.priority is not None:  # residents' priorities (docs/model.md 2.2): only areas with the same factors rho[a,.] are alike
        parts.append(k.priority)
    key = np.column_stack(parts).astype(float)
    _, first, area_class = np.unique(key, axis=0, return_index=True, return_inverse=True)
    area_class = area_class.ravel()
    n_c = len(first)
    upper = np.zeros((n_c, k.upper.shape[1]))
    np.add.at(upper, area_class, k.upper)
    population = np.zeros(n_c)
    np.add.at(population, area_class, k.population)
    merged = replace(
        k,
        area_ids=[f"class{c}" for c in range(n_c)],
        upper=upper,
        allowed=k.allowed[first],
        weight=k.weight[first],
        decile=k.decile[first],
        population=population,
        deprived=k.deprived[first],
        priority=None if k.priority is None else k.priority[first],
    )
    return merged, area_class


def split(
    full: Programme, small: Programme, k: Coefficients, merged: Coefficients, area_class: np.ndarray, x_small: np.ndarray
) -> np.ndarray:
    """The merged solution as a solution of the unmerged (pooled) programme."""
    H = full.H
    x = np.zeros(full.A.shape[1])
    # participants: each area gets its share of its class's reach
    n_small = x_small[small.cols["n"]].reshape(-1, H)
    index = np.full((len(merged.area_ids), merged.upper.shape[1]), -1, dtype=np.int64)
    index[small.pair_area, small.pair_iv] = np.arange(len(small.pair_area))
    cls = area_class[full.pair_area]
    lookup = index[cls, full.pair_iv]
    share = k.upper[full.pair_area, full.pair_iv] / merged.upper[cls, full.pair_iv]
    x[full.cols["n"]] = (n_small[lookup] * share[:, None]).ravel()
    # spending: the funding classes (intervention, set of pools) are the same in both programmes
    if not (
        np.array_equal(full.class_iv, small.class_iv)
        and np.array_equal(full.cp_class, small.cp_class)
        and np.array_equal(full.cp_pool, small.cp_pool)
    ):
        raise AssertionError("merged and unmerged programmes have different funding classes")  # pragma: no cover
    x[full.cols["x"]] = x_small[small.cols["x"]]
    # bands: each area's band at the same depth as its class's band
    if len(full.band_pair):
        nb_small = x_small[small.cols["nb"]].reshape(-1, H)
        n_bands = int(max(full.band_index.max(), small.band_index.max())) + 1
        band_of = np.full((len(small.pair_area), n_bands), -1, dtype=np.int64)
        band_of[small.band_pair, small.band_index] = np.arange(len(small.band_pair))
        source = band_of[lookup[full.band_pair], full.band_index]
        x[full.cols["nb"]] = (nb_small[source] * share[full.band_pair][:, None]).ravel()
    return x


def split_duals(full: Programme, small: Programme, area_class: np.ndarray, duals: np.ndarray) -> np.ndarray:
    """The merged programme's row duals as duals of the unmerged one.

    Every rule's rows are the same, in the same order, in both (the merged programme has fewer pairs, and only the
    band rows, last, are per pair): those duals are copied; each area's band rows take its class's (alike areas
    have the same marginal values).
    """
    out = np.zeros(full.A.shape[0])
    block = full.rows.get("bands")
    common = block.start if block is not None else full.A.shape[0]
    out[:common] = duals[:common]
    if block is not None:
        H = full.H
        small_block = small.rows["bands"]
        index = np.full((int(area_class.max()) + 1, int(max(full.pair_iv.max(), small.pair_iv.max())) + 1), -1, dtype=np.int64)
        index[small.pair_area, small.pair_iv] = np.arange(len(small.pair_area))
        small_row = np.full(len(small.pair_area), -1, dtype=np.int64)
        small_row[small_block.keys["pair"][::H]] = small_block.start + np.arange(small_block.count // H) * H
        pairs = block.keys["pair"][::H]
        rows = small_row[index[area_class[full.pair_area[pairs]], full.pair_iv[pairs]]]
        out[block.start : block.start + block.count] = duals[rows[:, None] + np.arange(H)].ravel()
    return out
