"""The solver-neutral programme of docs/model.md, built from arrays.

:func:`build` runs one ``define_*`` function per variable family and per
numbered rule of the contract, in order, each appending a block of rows in
coordinate form; the back ends all receive the same :class:`Programme`
(``maximise c @ x`` subject to ``row_lower <= A @ x <= row_upper`` and
column bounds), with no Python object per variable.

Formulations
------------
``full``
    docs/model.md literally: spending x[a,i,p,t] for every allowed triple.
``pooled`` (the default)
    Nothing in the programme depends on which pool pays in which area except
    the footprints: x appears only in rule 1 (per area) and in sums per pool
    (rules 5 and 9). So areas are grouped, per intervention, by the set of
    pools allowed to fund them (a *funding class*), and spending is one
    variable per class, pool and year. Any split of a class's spending among
    its pools can be shared out over the class's areas in proportion to
    their spending (:mod:`optimizer.result` does exactly that), so both
    formulations have the same optimal objective; ``tests/test_programme.py``
    shows it on random scenarios. Fixed-cost shares z are grouped the same way.

Elastic mode (``relax=...``) adds a non-negative slack to each row of the
named rule families, and makes the objective "least total slack" (in pounds):
it answers "what is the smallest change that makes this scenario feasible",
see :mod:`optimizer.diagnosis`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from optimizer.coefficients import Coefficients
from optimizer.scenario import Scenario

FORMULATIONS = ("pooled", "full")
#: Rule families that elastic mode may relax; coverage is rule 2.
RELAXABLE = ("coverage", "budget", "capacity", "community_wealth_fund", "per_capita_floor", "no_agency_worse_off", "area_cap", "commitment")


@dataclass
class RowBlock:
    """A family of rows: where it starts, how many, and the keys that name each row."""

    name: str
    start: int
    count: int
    keys: dict[str, np.ndarray]


@dataclass
class Programme:
    """maximise ``c @ x + offset`` s.t. ``row_lower <= A @ x <= row_upper``, ``col_lower <= x <= col_upper``."""

    c: np.ndarray
    A: sp.csr_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # bool per column
    rows: dict[str, RowBlock]
    cols: dict[str, slice]
    # index maps for reading a solution back
    pair_area: np.ndarray  # (P,) area index of each (area, intervention) pair with participants
    pair_iv: np.ndarray  # (P,)
    pair_class: np.ndarray  # (P,) funding class of each pair
    class_iv: np.ndarray  # (C,)
    cp_class: np.ndarray  # (CP,) class of each class-pool spending pair
    cp_pool: np.ndarray  # (CP,)
    launch_pair: np.ndarray  # (L,) pair index of each launch variable y
    zp_cp: np.ndarray  # (Z,) class-pool pair of each fixed-cost share z
    band_pair: np.ndarray  # (J,) pair of each band column family nb (docs/model.md 2.1)
    band_index: np.ndarray  # (J,) which band of its intervention
    band_effect: np.ndarray  # (J,) the band's effect
    H: int
    formulation: str
    relaxed: tuple[str, ...] = ()
    slack_rows: dict[str, np.ndarray] = field(default_factory=dict)  # family -> row of each slack column

    @property
    def is_mip(self) -> bool:
        return bool(self.integer.any())

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.A.shape[0], self.A.shape[1], self.A.nnz

    def n_col(self, pair: np.ndarray, t: np.ndarray | int) -> np.ndarray:
        out: np.ndarray = self.cols["n"].start + pair * self.H + t
        return out

    def x_col(self, cp: np.ndarray, t: np.ndarray | int) -> np.ndarray:
        out: np.ndarray = self.cols["x"].start + cp * self.H + t
        return out


def names(prog: Programme, k: Coefficients) -> tuple[list[str], list[str]]:
    """Row and column names in the scenario's terms (for the MPS export), e.g. ``n[E01000001,early_help,1]``."""
    H = prog.H
    cols: list[str] = [""] * prog.A.shape[1]
    areas, ivs, pools = k.area_ids, k.intervention_ids, k.pool_ids
    for pair, (a, i) in enumerate(zip(prog.pair_area, prog.pair_iv, strict=True)):
        for t in range(H):
            cols[prog.cols["n"].start + pair * H + t] = f"n[{areas[a]},{ivs[i]},{t + 1}]"
    for cp, (c, p) in enumerate(zip(prog.cp_class, prog.cp_pool, strict=True)):
        for t in range(H):
            cols[prog.cols["x"].start + cp * H + t] = f"x[class{c}:{ivs[prog.class_iv[c]]},{pools[p]},{t + 1}]"
    for j, pair in enumerate(prog.launch_pair):
        cols[prog.cols["y"].start + j] = f"y[{areas[prog.pair_area[pair]]},{ivs[prog.pair_iv[pair]]}]"
    for j, cp in enumerate(prog.zp_cp):
        cols[prog.cols["z"].start + j] = f"z[class{prog.cp_class[cp]},{pools[prog.cp_pool[cp]]}]"
    for j, (pair, band) in enumerate(zip(prog.band_pair, prog.band_index, strict=True)):
        for t in range(H):
            cols[prog.cols["nb"].start + j * H + t] = f"n[{areas[prog.pair_area[pair]]},{ivs[prog.pair_iv[pair]]},band{band + 1},{t + 1}]"
    for name, sl in prog.cols.items():
        for j in range(sl.start, sl.stop):
            cols[j] = cols[j] or f"{name}[{j - sl.start}]"
    rows: list[str] = []
    labels = {"area": areas, "pool": pools, "intervention": ivs}
    for block in prog.rows.values():
        for j in range(block.count):
            parts = []
            for key, vals in block.keys.items():
                v = int(vals[j])
                parts.append(labels[key][v] if key in labels else str(v + 1 if key == "year" else v))
            rows.append(f"{block.name}[{','.join(parts)}]")
    # MPS names may not hold blanks; ids may
    return [_no_blanks(r) for r in rows], [_no_blanks(c) for c in cols]


def _no_blanks(name: str) -> str:
    return "".join("_" if ch.isspace() else ch for ch in name)


class _Builder:
    """Accumulates columns and coordinate-form rows."""

    def __init__(self) -> None:
        self.n_cols = 0
        self.c: list[np.ndarray] = []
        self.lo: list[np.ndarray] = []
        self.up: list[np.ndarray] = []
        self.integer: list[np.ndarray] = []
        self.cols: dict[str, slice] = {}
        self.n_rows = 0
        self.entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.row_lo: list[np.ndarray] = []
        self.row_up: list[np.ndarray] = []
        self.rows: dict[str, RowBlock] = {}

    def add_cols(
        self, name: str, count: int, cost: np.ndarray | float, lower: float, upper: np.ndarray | float, integer: bool = False
    ) -> int:
        start = self.n_cols
        self.c.append(np.broadcast_to(np.asarray(cost, float), (count,)).copy())
        self.lo.append(np.full(count, lower))
        self.up.append(np.broadcast_to(np.asarray(upper, float), (count,)).copy())
        self.integer.append(np.full(count, integer))
        self.cols[name] = slice(start, start + count)
        self.n_cols += count
        return start

    def add_rows(self, name: str, count: int, lower: np.ndarray | float, upper: np.ndarray | float, keys: dict[str, np.ndarray]) -> int:
        start = self.n_rows
        self.row_lo.append(np.broadcast_to(np.asarray(lower, float), (count,)).copy())
        self.row_up.append(np.broadcast_to(np.asarray(upper, float), (count,)).copy())
        self.rows[name] = RowBlock(name, start, count, keys)
        self.n_rows += count
        return start

    def add_entries(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray | float) -> None:
        # int32 coordinates (build() checks that the programme's size fits them): England's unmerged programme with bands
        # has tens of millions of entries, held here until build() assembles them, and half the bytes of int64 keep its
        # peak memory within 2 GiB
        r, c, v = np.broadcast_arrays(np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64), np.asarray(vals, dtype=float))
        rows, cols, vals = r.ravel(), c.ravel(), v.ravel()
        keep = vals != 0.0
        self.entries.append((rows[keep].astype(np.int32), cols[keep].astype(np.int32), vals[keep]))


def build(s: Scenario, k: Coefficients, *, formulation: str = "pooled", relax: tuple[str, ...] = ()) -> Programme:
    """Build the programme of scenario ``s`` from its coefficients ``k``."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"unknown formulation {formulation!r}; choose one of {FORMULATIONS}")
    b = _Builder()
    ix = _index(k, formulation)
    define_participants(b, k, ix, elastic="coverage" in relax)
    define_spending(b, k, ix)
    define_launches(b, k, ix)
    define_bands(b, k, ix, elastic="coverage" in relax)  # version 2, 2.1
    define_cost(b, k, ix)  # rule 1
    define_coverage(b, k, ix, elastic="coverage" in relax)  # rules 2 and 3
    define_fixed_cost(b, k, ix)  # rule 4
    define_budget(b, k, ix)  # rule 5
    define_capacity(b, k, ix)  # rule 6
    cwf = s.policy.community_wealth_fund
    define_cwf_share(b, k, ix, cwf.min_share)  # rule 7
    define_per_capita_floor(b, k, ix, cwf.per_capita_floor)  # rule 8
    if s.policy.no_agency_worse_off:
        define_no_agency_worse_off(b, k, ix)  # rule 9
    if s.policy.area_cap is not None:
        define_area_cap(b, k, ix, s.policy.area_cap)  # rule 10
    define_commitments(b, k, ix)  # version 2, 2.3
    define_band_rows(b, k, ix)  # version 2, 2.1: last, so that merging areas (fewer pairs) leaves every rule's rows where they were
    slack_rows = define_slack(b, k, ix, relax) if relax else {}
    if max(b.n_rows, b.n_cols) >= np.iinfo(np.int32).max:  # every coordinate is below these: none wrapped in add_entries
        raise ValueError("the programme is too large: more than 2^31 rows or columns")  # pragma: no cover
    rows = np.concatenate([e[0] for e in b.entries]) if b.entries else np.zeros(0, np.int32)
    cols = np.concatenate([e[1] for e in b.entries]) if b.entries else np.zeros(0, np.int32)
    vals = np.concatenate([e[2] for e in b.entries]) if b.entries else np.zeros(0)
    b.entries.clear()  # each block's copy is in the concatenated arrays now: free it before the matrix is made
    A = sp.csr_matrix((vals, (rows, cols)), shape=(b.n_rows, b.n_cols))
    del rows, cols, vals
    A.sum_duplicates()
    return Programme(
        c=np.concatenate(b.c),
        A=A,
        row_lower=np.concatenate(b.row_lo) if b.row_lo else np.zeros(0),
        row_upper=np.concatenate(b.row_up) if b.row_up else np.zeros(0),
        col_lower=np.concatenate(b.lo),
        col_upper=np.concatenate(b.up),
        integer=np.concatenate(b.integer),
        rows=b.rows,
        cols=b.cols,
        H=k.H,
        formulation=formulation,
        relaxed=tuple(relax),
        slack_rows=slack_rows,
        **ix.maps(),
    )


@dataclass
class _Index:
    pair_area: np.ndarray
    pair_iv: np.ndarray
    pair_class: np.ndarray
    class_iv: np.ndarray
    cp_class: np.ndarray
    cp_pool: np.ndarray
    launch_pair: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    zp_cp: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    band_pair: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    band_index: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    band_effect: np.ndarray = field(default_factory=lambda: np.zeros(0))
    pair_banded: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))

    def maps(self) -> dict[str, np.ndarray]:
        keys = (
            "pair_area",
            "pair_iv",
            "pair_class",
            "class_iv",
            "cp_class",
            "cp_pool",
            "launch_pair",
            "zp_cp",
            "band_pair",
            "band_index",
            "band_effect",
        )
        return {k: getattr(self, k) for k in keys}

    @property
    def P(self) -> int:  # noqa: N802
        return len(self.pair_area)


def _index(k: Coefficients, formulation: str) -> _Index:
    """Pairs (a, i) that can have participants, their funding classes, and class-pool spending pairs."""
    can_fund = k.allowed.any(axis=2) & (k.upper > 0)
    pair_area, pair_iv = np.nonzero(can_fund)
    n_p = k.allowed.shape[2]
    if formulation == "full":
        pair_class = np.arange(len(pair_area))
        class_pools = k.allowed[pair_area, pair_iv, :]
        class_iv = pair_iv.copy()
    else:
        bits = k.allowed[pair_area, pair_iv, :].astype(np.int64) @ (np.int64(1) << np.arange(n_p, dtype=np.int64))
        key = pair_iv.astype(np.int64) * (np.int64(1) << n_p) + bits
        uniq, pair_class = np.unique(key, return_inverse=True)
        class_iv = uniq >> n_p
        class_pools = (uniq[:, None] & (np.int64(1) << np.arange(n_p, dtype=np.int64))) != 0
    cp_class, cp_pool = np.nonzero(class_pools)
    return _Index(pair_area, pair_iv, pair_class.astype(np.int64), class_iv.astype(np.int64), cp_class, cp_pool)


# -- variables ---------------------------------------------------------------


def define_participants(b: _Builder, k: Coefficients, ix: _Index, elastic: bool) -> None:
    """n[a,i,t] >= 0, with the coverage bound U[a,i] (rule 2) as a column bound.

    The benefit of a pair whose intervention has bands of diminishing returns sits on its band columns
    (:func:`define_bands`), not on n.
    """
    H = k.H
    ix.pair_banded = k.banded[ix.pair_iv]
    benefit = k.objective_per_participant[ix.pair_area, ix.pair_iv, :]  # (P, H)
    benefit[ix.pair_banded] = 0.0
    upper = np.repeat(k.upper[ix.pair_area, ix.pair_iv], H)
    b.add_cols("n", ix.P * H, benefit.ravel(), 0.0, np.inf if elastic else upper)


def define_spending(b: _Builder, k: Coefficients, ix: _Index) -> None:
    """x[class, p, t] >= 0: spending by pool p on a funding class in year t, discounted in the objective."""
    b.add_cols("x", len(ix.cp_class) * k.H, -np.tile(k.discount[: k.H], len(ix.cp_class)), 0.0, np.inf)


def define_launches(b: _Builder, k: Coefficients, ix: _Index) -> None:
    """y[a,i] in {0,1} where f[i] > 0 or m[i] > 0, and z[class, p] >= 0 where f[i] > 0."""
    ix.launch_pair = np.nonzero(k.has_launch[ix.pair_iv])[0]
    b.add_cols("y", len(ix.launch_pair), 0.0, 0.0, 1.0, integer=True)
    ix.zp_cp = np.nonzero(k.fixed_cost[ix.class_iv[ix.cp_class]] > 0)[0]
    b.add_cols("z", len(ix.zp_cp), -1.0, 0.0, np.inf)


def define_bands(b: _Builder, k: Coefficients, ix: _Index, elastic: bool) -> None:
    """Version 2, 2.1: n_b[a,i,t] in [0, width_b x U[a,i]] for every band of a banded pair, n = sum_b n_b, benefit x effect_b.

    The bound of 2.1 is (up_to[b] - up_to[b-1]) x N[a,i], times y[a,i] where a launch exists: here the widths are shares
    of U[a,i] = up_to[last] x N[a,i] (the same numbers), and y's factor is carried by n <= U y (rule 2), which with
    n = sum_b n_b and n_b >= 0 holds every band at 0 when y = 0. Areas merged into a class (optimizer/merge.py) sum their
    U, so the bands of a class are the sums of its areas' bands.
    """
    H = k.H
    banded = np.nonzero(ix.pair_banded)[0]
    if len(banded) == 0 or k.band_share is None or k.band_effect is None:
        b.add_cols("nb", 0, 0.0, 0.0, 0.0)
        return
    shares, effects = k.band_share[ix.pair_iv[banded]], k.band_effect[ix.pair_iv[banded]]  # (Pb, B)
    rows_b, bands = np.nonzero(shares > 0)  # row-major: each pair's bands in order
    ix.band_pair, ix.band_index = banded[rows_b], bands
    ix.band_effect = effects[rows_b, bands]
    width = shares[rows_b, bands] * k.upper[ix.pair_area[ix.band_pair], ix.pair_iv[ix.band_pair]]
    if elastic:  # a relaxed coverage lets the last band grow: participants beyond coverage count at its effect
        last = np.r_[ix.band_pair[1:] != ix.band_pair[:-1], True]
        width = np.where(last, np.inf, width)
    benefit = k.objective_per_participant[ix.pair_area[ix.band_pair], ix.pair_iv[ix.band_pair], :] * ix.band_effect[:, None]
    b.add_cols("nb", len(ix.band_pair) * H, benefit.ravel(), 0.0, np.repeat(width, H))


def define_band_rows(b: _Builder, k: Coefficients, ix: _Index) -> None:
    """Version 2, 2.1: n[a,i,t] = sum over bands of n_b[a,i,t], for every banded pair and year."""
    H = k.H
    banded = np.nonzero(ix.pair_banded)[0]
    if len(banded) == 0:
        return
    start = b.cols["nb"].start
    t = np.arange(H)
    link = b.add_rows("bands", len(banded) * H, 0.0, 0.0, {"pair": np.repeat(banded, H), "year": np.tile(t, len(banded))})
    row_of = np.full(ix.P, -1)
    row_of[banded] = link + np.arange(len(banded)) * H
    b.add_entries(row_of[banded][:, None] + t, _n_cols(b, banded[:, None], t, H), 1.0)
    b.add_entries(row_of[ix.band_pair][:, None] + t, start + np.arange(len(ix.band_pair))[:, None] * H + t, -1.0)


def _add_value(b: _Builder, ix: _Index, rows: np.ndarray, vals: np.ndarray) -> None:
    """Entries of a per-participant value (savings, cash) on rows ``rows`` (P, H): on n, or on the bands times their effect."""
    H = vals.shape[1]
    t = np.arange(H)
    plain = np.nonzero(~ix.pair_banded)[0] if len(ix.pair_banded) else np.arange(ix.P)
    b.add_entries(rows[plain], _n_cols(b, plain[:, None], t, H), vals[plain])
    if len(ix.band_pair):
        j = np.arange(len(ix.band_pair))
        b.add_entries(rows[ix.band_pair], b.cols["nb"].start + j[:, None] * H + t, vals[ix.band_pair] * ix.band_effect[:, None])


# -- rules ---------------------------------------------------------------------


def _n_cols(b: _Builder, pairs: np.ndarray, t: np.ndarray | int, H: int) -> np.ndarray:
    out: np.ndarray = b.cols["n"].start + pairs * H + t
    return out


def define_cost(b: _Builder, k: Coefficients, ix: _Index) -> None:
    """Rule 1: sum_p x[class,p,t] = c[i] x sum of n over the class's areas, every class and year."""
    H, n_classes = k.H, len(ix.class_iv)
    t = np.arange(H)
    start = b.add_rows("cost", n_classes * H, 0.0, 0.0, {"class": np.repeat(np.arange(n_classes), H), "year": np.tile(t, n_classes)})
    b.add_entries(start + ix.cp_class[:, None] * H + t, b.cols["x"].start + np.arange(len(ix.cp_class))[:, None] * H + t, 1.0)
    cost = -k.unit_cost[ix.pair_iv]
    b.add_entries(start + ix.pair_class[:, None] * H + t, _n_cols(b, np.arange(ix.P)[:, None], t, H), cost[:, None])


def define_coverage(b: _Builder, k: Coefficients, ix: _Index, elastic: bool) -> None:
    """Rules 2 and 3 where a launch y exists: m[i] y <= n[a,i,t] <= U[a,i] y (and rule 2 as rows in elastic mode)."""
    H = k.H
    t = np.arange(H)
    lp = ix.launch_pair
    y = b.cols["y"].start + np.arange(len(lp))
    if elastic:  # coverage of every pair as a row, so that it can be relaxed
        others = np.setdiff1d(np.arange(ix.P), lp)
        start = b.add_rows(
            "coverage_bound",
            len(others) * H,
            -np.inf,
            np.repeat(k.upper[ix.pair_area[others], ix.pair_iv[others]], H),
            {"pair": np.repeat(others, H), "year": np.tile(t, len(others))},
        )
        b.add_entries(start + np.arange(len(others) * H).reshape(len(others), H), _n_cols(b, others[:, None], t, H), 1.0)
    if len(lp) == 0:
        return
    keys = {"pair": np.repeat(lp, H), "year": np.tile(t, len(lp))}
    start = b.add_rows("coverage", len(lp) * H, -np.inf, 0.0, keys)
    rows = start + np.arange(len(lp) * H).reshape(len(lp), H)
    b.add_entries(rows, _n_cols(b, lp[:, None], t, H), 1.0)
    b.add_entries(rows, np.repeat(y[:, None], H, axis=1), -k.upper[ix.pair_area[lp], ix.pair_iv[lp]][:, None])
    m = k.min_participants[ix.pair_iv[lp]]
    with_min = np.nonzero(m > 0)[0]
    if len(with_min):
        start = b.add_rows(
            "min_scale", len(with_min) * H, 0.0, np.inf, {"pair": np.repeat(lp[with_min], H), "year": np.tile(t, len(with_min))}
        )
        rows = start + np.arange(len(with_min) * H).reshape(len(with_min), H)
        b.add_entries(rows, _n_cols(b, lp[with_min][:, None], t, H), 1.0)
        b.add_entries(rows, np.repeat(y[with_min][:, None], H, axis=1), -m[with_min][:, None])


def define_fixed_cost(b: _Builder, k: Coefficients, ix: _Index) -> None:
    """Rule 4: sum_p z[class,p] = f[i] x sum of y over the class's areas, for classes with f[i] > 0."""
    if len(ix.zp_cp) == 0:
        return
    classes = np.unique(ix.cp_class[ix.zp_cp])
    row_of = np.full(len(ix.class_iv), -1)
    start = b.add_rows("fixed_cost", len(classes), 0.0, 0.0, {"class": classes})
    row_of[classes] = start + np.arange(len(classes))
    b.add_entries(row_of[ix.cp_class[ix.zp_cp]], b.cols["z"].start + np.arange(len(ix.zp_cp)), 1.0)
    lp = ix.launch_pair
    f = k.fixed_cost[ix.pair_iv[lp]]
    has_f = f > 0
    b.add_entries(row_of[ix.pair_class[lp[has_f]]], b.cols["y"].start + np.nonzero(has_f)[0], -f[has_f])


def define_budget(b: _Builder, k: Coefficients, ix: _Index) -> None:
    """Rule 5: pool p's spending in year t (plus fixed costs in year 1) <= B[p,t] + reinvested cashable savings."""
    H, n_p = k.H, len(k.pool_ids)
    start = b.add_rows(
        "budget", n_p * H, -np.inf, k.budget.ravel(), {"pool": np.repeat(np.arange(n_p), H), "year": np.tile(np.arange(H), n_p)}
    )
    t = np.arange(H)
    b.add_entries(start + ix.cp_pool[:, None] * H + t, b.cols["x"].start + np.arange(len(ix.cp_class))[:, None] * H + t, 1.0)
    b.add_entries(start + ix.cp_pool[ix.zp_cp] * H, b.cols["z"].start + np.arange(len(ix.zp_cp)), 1.0)
    for p in np.nonzero(k.reinvest > 0)[0]:
        for year in range(1, H):
            # K[i, t', p, t-1] for every earlier year t' (times the band's effect where bands exist)
            saved = np.zeros((ix.P, H))
            saved[:, :year] = k.cash[ix.pair_iv, :year, p, year - 1]
            _add_value(b, ix, np.full((ix.P, H), start + p * H + year), -k.reinvest[p] * saved)


def define_capacity(b: _Builder, k: Coefficients, ix: _Index) -> None:
    """Rule 6: participants of i over all areas <= cap[i], every year."""
    capped = np.nonzero(np.isfinite(k.capacity))[0]
    if len(capped) == 0:
        return
    H = k.H
    row_of = np.full(len(k.intervention_ids), -1)
    start = b.add_rows(
        "capacity",
        len(capped) * H,
        -np.inf,
        np.repeat(k.capacity[capped], H),
        {"intervention": np.repeat(capped, H), "year": np.tile(np.arange(H), len(capped))},
    )
    row_of[capped] = start + np.arange(len(capped)) * H
    pairs = np.nonzero(np.isfinite(k.capacity[ix.pair_iv]))[0]
    t = np.arange(H)
    b.add_entries(row_of[ix.pair_iv[pairs]][:, None] + t, _n_cols(b, pairs[:, None], t, H), 1.0)


def define_cwf_share(b: _Builder, k: Coefficients, ix: _Index, phi: float) -> None:
    """Rule 7: spending in deprived areas >= phi x all spending (all years, fixed costs included)."""
    if phi <= 0:
        return
    start = b.add_rows("community_wealth_fund", 1, 0.0, np.inf, {})
    H = k.H
    share = k.deprived[ix.pair_area].astype(float) - phi
    coef = share * k.unit_cost[ix.pair_iv]
    b.add_entries(np.full((ix.P, H), start), _n_cols(b, np.arange(ix.P)[:, None], np.arange(H), H), np.repeat(coef[:, None], H, axis=1))
    lp = ix.launch_pair
    b.add_entries(np.full(len(lp), start), b.cols["y"].start + np.arange(len(lp)), share[lp] * k.fixed_cost[ix.pair_iv[lp]])


def define_per_capita_floor(b: _Builder, k: Coefficients, ix: _Index, floor: float) -> None:
    """Rule 8: spending in every deprived area in every year >= F x its population."""
    if floor <= 0:
        return
    H = k.H
    areas = np.nonzero(k.deprived)[0]
    row_of = np.full(len(k.area_ids), -1)
    start = b.add_rows(
        "per_capita_floor",
        len(areas) * H,
        np.repeat(floor * k.population[areas], H),
        np.inf,
        {"area": np.repeat(areas, H), "year": np.tile(np.arange(H), len(areas))},
    )
    row_of[areas] = start + np.arange(len(areas)) * H
    pairs = np.nonzero(k.deprived[ix.pair_area])[0]
    t = np.arange(H)
    b.add_entries(row_of[ix.pair_area[pairs]][:, None] + t, _n_cols(b, pairs[:, None], t, H), k.unit_cost[ix.pair_iv[pairs]][:, None])


def define_no_agency_worse_off(b: _Builder, k: Coefficients, ix: _Index) -> None:
    """Rule 9: every pool's discounted spending <= the discounted savings of its agency."""
    H, n_p = k.H, len(k.pool_ids)
    start = b.add_rows("no_agency_worse_off", n_p, -np.inf, 0.0, {"pool": np.arange(n_p)})
    t = np.arange(H)
    b.add_entries(
        np.repeat((start + ix.cp_pool)[:, None], H, axis=1),
        b.cols["x"].start + np.arange(len(ix.cp_class))[:, None] * H + t,
        np.broadcast_to(k.discount[:H], (len(ix.cp_class), H)),
    )
    b.add_entries(start + ix.cp_pool[ix.zp_cp], b.cols["z"].start + np.arange(len(ix.zp_cp)), 1.0)
    for p in range(n_p):
        saving = k.value[ix.pair_iv, :, p]  # (P, H), times the band's effect where bands exist
        _add_value(b, ix, np.full((ix.P, H), start + p), -saving)


def define_area_cap(b: _Builder, k: Coefficients, ix: _Index, cap: float) -> None:
    """Rule 10: spending in one area in one year <= area_cap."""
    H = k.H
    areas = np.unique(ix.pair_area)
    row_of = np.full(len(k.area_ids), -1)
    start = b.add_rows("area_cap", len(areas) * H, -np.inf, cap, {"area": np.repeat(areas, H), "year": np.tile(np.arange(H), len(areas))})
    row_of[areas] = start + np.arange(len(areas)) * H
    t = np.arange(H)
    b.add_entries(row_of[ix.pair_area][:, None] + t, _n_cols(b, np.arange(ix.P)[:, None], t, H), k.unit_cost[ix.pair_iv][:, None])


def define_commitments(b: _Builder, k: Coefficients, ix: _Index) -> None:
    """Version 2, 2.3: spending on an intervention (in an area, in a year, where given) >= min_spend, one row per commitment.

    Spending is c[i] x n (rule 1 makes it the sum over pools of x); the fixed costs of launching it there count when
    no year is given or the year is 1 (they are paid in year 1).
    """
    if not k.commitments:
        return
    H = k.H
    start = b.add_rows(
        "commitment", len(k.commitments), np.array([c[3] for c in k.commitments]), np.inf, {"commitment": np.arange(len(k.commitments))}
    )
    for j, (i, a, year, _amount) in enumerate(k.commitments):
        pairs = np.nonzero((ix.pair_iv == i) & ((ix.pair_area == a) if a >= 0 else True))[0]
        years = np.arange(H) if year < 0 else np.array([year])
        b.add_entries(np.full((len(pairs), len(years)), start + j), _n_cols(b, pairs[:, None], years, H), k.unit_cost[i])
        if year <= 0 and k.fixed_cost[i] > 0:
            launches = np.nonzero(np.isin(ix.launch_pair, pairs))[0]
            b.add_entries(np.full(len(launches), start + j), b.cols["y"].start + launches, k.fixed_cost[i])


def define_slack(b: _Builder, k: Coefficients, ix: _Index, relax: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Elastic mode: one slack per row of each relaxed family; the objective becomes least total slack in pounds."""
    b.c = [np.zeros_like(c) for c in b.c]
    out: dict[str, np.ndarray] = {}
    row_lo = np.concatenate(b.row_lo)
    for family in relax:
        names = ("coverage", "coverage_bound") if family == "coverage" else (family,)
        for name in names:
            block = b.rows.get(name)
            if block is None or block.count == 0:
                continue
            rows = np.arange(block.start, block.start + block.count)
            if name.startswith("coverage"):  # participants: weigh them at their unit cost
                price = k.unit_cost[ix.pair_iv[block.keys["pair"]]]
            else:
                price = np.ones(block.count)
            start = b.add_cols(f"slack:{name}", block.count, -price, 0.0, np.inf)
            sign = np.where(np.isfinite(row_lo[rows]), 1.0, -1.0)  # >= rows get +s, <= rows get -s
            b.add_entries(rows, start + np.arange(block.count), sign)
            out[name] = rows
    return out
