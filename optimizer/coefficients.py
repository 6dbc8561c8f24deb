"""Derived coefficients of the programme (docs/model.md, "Derived coefficients"), as arrays.

Everything the programme builder and the result reader need is computed once
here, vectorised over areas, interventions, pools, agencies and years.
Indices follow the scenario's own list order; years are 0-based in arrays
(t = 0 is the contract's year 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optimizer.scenario import Scenario


@dataclass(frozen=True)
class Coefficients:
    """Scenario data as arrays. Shapes: a areas, i interventions, p pools, g agencies (pools first), t years, tau appraisal years."""

    area_ids: list[str]
    intervention_ids: list[str]
    pool_ids: list[str]
    agency_ids: list[str]
    H: int
    A: int
    discount: np.ndarray  # (tau,) d[tau] = (1 + r)^-(tau - 1)
    budget: np.ndarray  # (p, t)
    reinvest: np.ndarray  # (p,)
    unit_cost: np.ndarray  # (i,)
    fixed_cost: np.ndarray  # (i,)
    min_participants: np.ndarray  # (i,)
    capacity: np.ndarray  # (i,) inf where absent
    upper: np.ndarray  # (a, i) U[a,i] = kappa[i] x N[a,i]
    allowed: np.ndarray  # (a, i, p) bool: pool p may fund i in a
    value: np.ndarray  # (i, t, g) V[i,t,g], present value to agency g of one participant in year t
    social: np.ndarray  # (i, t) S[i,t]
    cash: np.ndarray  # (i, t, g, tau) K[i,t,g,tau], cash saved in year tau
    weight: np.ndarray  # (a,) equity weight W[a]
    decile: np.ndarray  # (a,)
    population: np.ndarray  # (a,)
    deprived: np.ndarray  # (a,) bool, the set D of rule 7 and 8
    social_weight: float
    # version 2 (docs/model.md 2.1): bands of diminishing returns, as shares of U[a,i] (0 past an intervention's last band)
    band_share: np.ndarray | None = None  # (i, b)
    band_effect: np.ndarray | None = None  # (i, b)
    # version 2 (docs/model.md 2.2): the priority factor rho[a,o] and each outcome's benefit per participant
    priority: np.ndarray | None = None  # (a, o), None where no priority counts (strength 0 or no weights)
    outcome_benefit: np.ndarray | None = None  # (i, t, o): sum_g V + lambda S of one outcome (with priorities or themes)
    outcome_themes: tuple[tuple[str, ...], ...] = ()  # per outcome, its themes (2.2); empty without any
    # version 2 (docs/model.md 2.3): per commitment, its intervention, area (-1: every area), year (0-based, -1: every year), amount
    commitments: tuple[tuple[int, int, int, float], ...] = ()

    @property
    def has_launch(self) -> np.ndarray:
        """(i,) bool: the intervention has a launch decision y (fixed cost or minimum participants)."""
        return (self.fixed_cost > 0) | (self.min_participants > 0)

    @property
    def objective_per_participant(self) -> np.ndarray:
        """(a, i, t): W[a] x (sum_g V[i,t,g] + lambda S[i,t]), the benefit side of the objective.

        With residents' priorities (docs/model.md 2.2) each outcome's part is multiplied by rho[a,o]:
        W[a] x sum_o rho[a,o] x (sum_g V_o[i,t,g] + lambda S_o[i,t]).
        """
        if self.priority is not None and self.outcome_benefit is not None:
            weighted: np.ndarray = self.weight[:, None, None] * np.einsum("ao,ito->ait", self.priority, self.outcome_benefit)
            return weighted
        benefit = self.value.sum(axis=2) + self.social_weight * self.social
        out: np.ndarray = self.weight[:, None, None] * benefit[None, :, :]
        return out

    @property
    def banded(self) -> np.ndarray:
        """(i,) bool: the intervention has a response other than one band of effect 1 (its programme has band columns)."""
        if self.band_share is None or self.band_effect is None:
            return np.zeros(len(self.intervention_ids), dtype=bool)
        trivial: np.ndarray = np.isclose(self.band_share[:, 0], 1.0) & (self.band_effect[:, 0] == 1.0)
        out: np.ndarray = np.logical_not(trivial)
        return out

    def effective(self, n: np.ndarray, pair_area: np.ndarray, pair_iv: np.ndarray) -> np.ndarray:
        """(P, H) participants weighted by their band's effect, the bands filled in order (docs/model.md 2.1).

        ``n`` is (P, H), the participants of each (area, intervention) pair; without bands it is returned as is.
        Every saving, social value and the objective are these times the per-participant values V, S.
        """
        if not self.banded.any() or self.band_share is None or self.band_effect is None:
            return n
        upper = self.upper[pair_area, pair_iv][:, None]  # (P, 1)
        shares, effects = self.band_share[pair_iv], self.band_effect[pair_iv]  # (P, b)
        out = np.zeros_like(n, dtype=float)
        below = np.zeros_like(upper, dtype=float)
        for b in range(shares.shape[1]):
            width = shares[:, b : b + 1] * upper
            out += effects[:, b : b + 1] * np.clip(n - below, 0.0, width)
            below = below + width
        # participants beyond the last band (a relaxed coverage in a diagnosis) count at the last band's effect
        last = effects[np.arange(len(pair_iv)), np.maximum((shares > 0).sum(axis=1) - 1, 0)][:, None]
        out += last * np.clip(n - below, 0.0, None)
        return out


def deprived_set(s: Scenario) -> np.ndarray:
    """The deprived areas D of the Community Wealth Fund rule, on the policy's basis."""
    cwf = s.policy.community_wealth_fund
    deciles = np.array([a.imd_decile for a in s.areas])
    if cwf.basis == "national":
        return deciles <= cwf.max_decile
    count = math.ceil(cwf.max_decile / 10 * len(s.areas))
    # least imd_rank first, equal ranks broken by area id
    order = sorted(range(len(s.areas)), key=lambda k: (s.areas[k].imd_rank or 0, s.areas[k].id))
    mask = np.zeros(len(s.areas), dtype=bool)
    mask[order[:count]] = True
    return mask


def compute(s: Scenario) -> Coefficients:
    """Arrays of every coefficient the programme needs."""
    H, A = s.H, s.A
    area_ids = [a.id for a in s.areas]
    iv_ids = [i.id for i in s.interventions]
    pool_ids = [p.id for p in s.pools]
    agency_ids = s.agency_ids
    n_a, n_i, n_p, n_g = len(area_ids), len(iv_ids), len(pool_ids), len(agency_ids)
    g_index = {g: k for k, g in enumerate(agency_ids)}
    a_index = {a: k for k, a in enumerate(area_ids)}
    i_index = {i: k for k, i in enumerate(iv_ids)}

    discount = (1.0 + s.discount_rate) ** -np.arange(A, dtype=float)

    # eligible people and coverage bounds
    groups = np.zeros((n_a, n_i))
    for k, iv in enumerate(s.interventions):
        groups[:, k] = [float(a.groups.get(iv.target_group, 0.0)) for a in s.areas]
    kappa = np.array([iv.max_coverage for iv in s.interventions])
    upper = groups * kappa[None, :]

    # allowed triples: footprints x ring-fences
    allowed = np.zeros((n_a, n_i, n_p), dtype=bool)
    for p, pool in enumerate(s.pools):
        amask = np.ones(n_a, dtype=bool) if pool.areas is None else np.isin(np.arange(n_a), [a_index[a] for a in pool.areas])
        imask = (
            np.ones(n_i, dtype=bool) if pool.interventions is None else np.isin(np.arange(n_i), [i_index[i] for i in pool.interventions])
        )
        allowed[:, :, p] = amask[:, None] & imask[None, :]

    # per-occurrence cost to each agency, and social value, per outcome
    o_index = {o.id: k for k, o in enumerate(s.outcomes)}
    unit = np.zeros((len(s.outcomes), n_g))
    for k, o in enumerate(s.outcomes):
        for g, u in o.unit_costs.items():
            unit[k, g_index[g]] = u
    social_value = np.array([o.social_value for o in s.outcomes])

    # cash K[i,t,g,tau] and its discounted sum V[i,t,g]
    cash = np.zeros((n_i, H, n_g, A))
    social_cash = np.zeros((n_i, H, A))
    for k, iv in enumerate(s.interventions):
        for eff in iv.effects:
            row = o_index[eff.outcome]
            for t in range(H):
                first = t + eff.lag_years
                last = min(t + eff.lag_years + eff.duration_years - 1, A - 1)
                if first > last:
                    continue  # the benefit falls after the appraisal period
                cash[k, t, :, first : last + 1] += eff.per_participant * unit[row, :, None]
                social_cash[k, t, first : last + 1] += eff.per_participant * social_value[row]
    value = np.einsum("itgu,u->itg", cash, discount)
    social = np.einsum("itu,u->it", social_cash, discount)
    priority = priority_factor(s)
    outcome_benefit = None
    themes = tuple(tuple(o.themes or ()) for o in s.outcomes) if any(o.themes for o in s.outcomes) else ()
    if priority is not None or themes:
        outcome_benefit = np.zeros((n_i, H, len(s.outcomes)))
        lam = float(s.policy.social_value_weight)
        for k, iv in enumerate(s.interventions):
            for eff in iv.effects:
                row = o_index[eff.outcome]
                for t in range(H):
                    first, last = t + eff.lag_years, min(t + eff.lag_years + eff.duration_years - 1, A - 1)
                    if first <= last:
                        years = discount[first : last + 1].sum()
                        outcome_benefit[k, t, row] += eff.per_participant * (unit[row].sum() + lam * social_value[row]) * years
    n_b = max(len(iv.bands()) for iv in s.interventions)
    band_share = np.zeros((n_i, n_b))
    band_effect = np.zeros((n_i, n_b))
    for k, iv in enumerate(s.interventions):
        for b, (share, effect) in enumerate(iv.bands()):
            band_share[k, b], band_effect[k, b] = share, effect
    commitments = tuple(
        (
            i_index[c.intervention],
            a_index[c.area] if c.area is not None else -1,
            c.year - 1 if c.year is not None else -1,
            float(c.min_spend),
        )
        for c in s.policy.commitments
    )

    return Coefficients(
        area_ids=area_ids,
        intervention_ids=iv_ids,
        pool_ids=pool_ids,
        agency_ids=agency_ids,
        H=H,
        A=A,
        discount=discount,
        budget=np.array([s.budget(p) for p in s.pools], dtype=float).reshape(n_p, H),
        reinvest=np.array([p.reinvest_rate for p in s.pools], dtype=float),
        unit_cost=np.array([iv.unit_cost for iv in s.interventions], dtype=float),
        fixed_cost=np.array([iv.fixed_cost for iv in s.interventions], dtype=float),
        min_participants=np.array([iv.min_participants for iv in s.interventions], dtype=float),
        capacity=np.array([np.inf if iv.capacity is None else iv.capacity for iv in s.interventions], dtype=float),
        upper=upper,
        allowed=allowed,
        value=value,
        social=social,
        cash=cash,
        weight=np.array([s.equity_weight(a.imd_decile) for a in s.areas], dtype=float),
        decile=np.array([a.imd_decile for a in s.areas], dtype=int),
        population=np.array([a.population for a in s.areas], dtype=float),
        deprived=deprived_set(s),
        social_weight=float(s.policy.social_value_weight),
        band_share=band_share,
        band_effect=band_effect,
        priority=priority,
        outcome_benefit=outcome_benefit,
        outcome_themes=themes,
        commitments=commitments,
    )


def priority_factor(s: Scenario) -> np.ndarray | None:
    """rho[a,o] of docs/model.md 2.2, or None where priorities change nothing (strength 0, or no weights anywhere).

    omega[a,theme] = w[a,theme] / mean of w[a,.] over the themes a names (its own points, else the place's);
    q[a,o] = mean of omega[a,theme] over o's themes that a names (1 where it names none);
    rho[a,o] = (1 - mu) + mu x q[a,o].
    """
    rp = s.policy.resident_priorities
    if rp is None or rp.strength == 0:
        return None
    mu = float(rp.strength)
    rho = np.ones((len(s.areas), len(s.outcomes)))
    cache: dict[tuple[tuple[str, float], ...], np.ndarray] = {}
    for a, area in enumerate(s.areas):
        points = area.priorities if area.priorities is not None else rp.weights
        key = tuple(sorted(points.items()))
        if key not in cache:
            mean = sum(points.values()) / len(points)
            omega = {theme: w / mean for theme, w in points.items()}
            q = np.ones(len(s.outcomes))
            for o, outcome in enumerate(s.outcomes):
                named = [omega[t] for t in (outcome.themes or []) if t in omega]
                if named:
                    q[o] = sum(named) / len(named)
            cache[key] = (1.0 - mu) + mu * q
        rho[a] = cache[key]
    return rho
