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

    @property
    def has_launch(self) -> np.ndarray:
        """(i,) bool: the intervention has a launch decision y (fixed cost or minimum participants)."""
        return (self.fixed_cost > 0) | (self.min_participants > 0)

    @property
    def objective_per_participant(self) -> np.ndarray:
        """(a, i, t): W[a] x (sum_g V[i,t,g] + lambda S[i,t]), the benefit side of the objective."""
        benefit = self.value.sum(axis=2) + self.social_weight * self.social
        out: np.ndarray = self.weight[:, None, None] * benefit[None, :, :]
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
        imask = np.ones(n_i, dtype=bool) if pool.interventions is None else np.isin(np.arange(n_i), [i_index[i] for i in pool.interventions])
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
    )
