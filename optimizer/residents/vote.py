"""From a participatory vote to commitments (docs/residents.md, "A participatory vote").

A vote is a pabulib file (``.pb``; https://pabulib.org/format) read with
pabutools. Its winners are found by one of two rules:

* ``mes``: the Method of Equal Shares with cost satisfaction (approval
  ballots; points for scoring and cumulative ones), completed as equalshares.net
  recommends: first the iterated variant (every voter's share raised by 1 % of
  its start, :data:`MES_INCREMENT`, until the outcome would spend the whole budget or
  overspend it; the last affordable outcome is kept), then the greedy rule on
  what is left (pabutools' ``completion_by_rule_combination``);
* ``greedy``: greedy utilitarian welfare: projects by votes (approval) or
  points per pound, each taken while it fits the budget.

Ties are broken by project id (pabutools' lexicographic rule).

A winning project becomes a commitment when its project row names an
``intervention`` and an ``area`` of the scenario (and optionally a ``year``):
``min_spend`` is its cost in pounds. Winners with the same (intervention, area,
year) are added into one commitment (two rows would each ask for at least their
own cost, not the sum). A winner that names neither is listed as unmapped, with
why; a project that names an intervention, area or year the scenario lacks is
an input error.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from optimizer.errors import Problem, ResidentsInputError
from optimizer.scenario import Scenario, parse_scenario

Rule = Literal["mes", "greedy"]
RULES: tuple[Rule, ...] = ("mes", "greedy")
#: the iterated MES raises every voter's share by this fraction of its starting share per round
MES_INCREMENT = 0.01
#: the project columns that map a project to the scenario
MAPPING_COLUMNS = ("intervention", "area", "year")
#: the currencies a scenario's pounds can take as they are
POUNDS = ("GBP", "£", "POUND", "POUNDS")


@dataclass(frozen=True)
class Project:
    """A winning project, as the vote's file gives it."""

    id: str
    name: str
    cost: float
    intervention: str | None = None
    area: str | None = None
    year: int | None = None
    reason: str | None = field(default=None, compare=False)  # why it maps to nothing (None when it maps)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"project": self.id, "name": self.name, "cost": self.cost}
        if self.reason is None:
            out |= {"intervention": self.intervention, "area": self.area, "year": self.year}
        else:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class VoteOutcome:
    """The winners under ``rule``, the commitments they make, and the winners that map to nothing."""

    rule: Rule
    budget: float
    winners: list[Project]
    commitments: list[dict[str, Any]]
    unmapped: list[Project]

    @property
    def spent(self) -> float:
        return sum(p.cost for p in self.winners)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "budget": self.budget,
            "spent": self.spent,
            "winners": [p.as_dict() for p in self.winners],
            "commitments": self.commitments,
            "unmapped": [p.as_dict() for p in self.unmapped],
        }


def _pabutools() -> Any:
    try:
        import pabutools  # noqa: F401
    except ImportError:
        raise ResidentsInputError(
            [Problem("", "reading a participatory vote needs pabutools: pip install 'totalplace[residents]'")]
        ) from None
    return pabutools


def read_election(path: Path) -> tuple[Any, Any]:
    """The pabulib file's instance and profile (pabutools objects). Raises :class:`ResidentsInputError` when unreadable."""
    _pabutools()
    from pabutools.election import parse_pabulib

    if not path.is_file():
        raise ResidentsInputError([Problem(str(path), "not found: check the path")])
    try:
        instance, profile = parse_pabulib(str(path))
    except (OSError, UnicodeDecodeError) as exc:
        raise ResidentsInputError([Problem(str(path), f"cannot be read ({exc}): give a UTF-8 pabulib file")]) from None
    except (KeyError, ValueError, IndexError, TypeError, ZeroDivisionError, AttributeError) as exc:
        raise ResidentsInputError(
            [
                Problem(
                    str(path),
                    f"is not a pabulib election ({type(exc).__name__}: {exc}): give the META, "
                    "PROJECTS and VOTES sections of https://pabulib.org/format",
                )
            ]
        ) from None
    if profile is None:
        kind = instance.meta.get("vote_type")
        raise ResidentsInputError(
            [
                Problem(
                    f"{path} META vote_type",
                    f"vote_type {kind!r} is not one pabutools reads: use approval, choose-1, scoring, cumulative or ordinal",
                )
            ]
        )
    return instance, profile


def winners(instance: Any, profile: Any, rule: Rule, where: str = "the vote") -> list[Any]:
    """The winning pabutools projects under ``rule``, sorted by project id."""
    _pabutools()
    from pabutools.election import AbstractApprovalProfile, AbstractOrdinalProfile, Additive_Cardinal_Sat, Cost_Sat
    from pabutools.fractions import frac
    from pabutools.rules import completion_by_rule_combination, greedy_utilitarian_welfare, method_of_equal_shares

    if isinstance(profile, AbstractOrdinalProfile):
        raise ResidentsInputError(
            [
                Problem(
                    f"{where} META vote_type",
                    "ordinal ballots are not supported: the rules here need approval, scoring or cumulative ballots",
                )
            ]
        )
    sat = Cost_Sat if isinstance(profile, AbstractApprovalProfile) else Additive_Cardinal_Sat
    if rule == "greedy":
        chosen = greedy_utilitarian_welfare(instance, profile, sat_class=sat)
    else:
        voters = profile.num_ballots()
        if voters == 0:
            return []
        increment = frac(instance.budget_limit, voters) * frac(1, round(1 / MES_INCREMENT))
        chosen = completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": sat, "voter_budget_increment": increment}, {"sat_class": sat}],
        )
    return sorted(chosen, key=lambda p: str(p.name))


def _meta(instance: Any, project: Any, key: str) -> str:
    value = instance.project_meta.get(project, {}).get(key)
    return "" if value is None else str(value).strip()


def outcome(instance: Any, profile: Any, scenario: Scenario, rule: Rule = "mes", where: str = "the vote") -> VoteOutcome:
    """The winners under ``rule`` and what they commit the scenario to. Raises :class:`ResidentsInputError` listing every problem."""
    problems: list[Problem] = []
    currency = str(instance.meta.get("currency", "")).strip()
    if currency and currency.upper() not in POUNDS:
        problems.append(
            Problem(
                f"{where} META currency",
                f"costs are in {currency!r} but a scenario's money is in pounds: convert the "
                "costs and the budget to pounds and set currency to GBP",
            )
        )
    ivs, areas = {i.id for i in scenario.interventions}, {a.id for a in scenario.areas}
    mapped: dict[Any, Project] = {}
    for p in sorted(instance, key=lambda p: str(p.name)):
        at = f"{where} PROJECTS project {p.name}"
        iv, area, year_text = (_meta(instance, p, c) for c in MAPPING_COLUMNS)
        name, cost = _meta(instance, p, "name") or str(p.name), float(p.cost)
        if iv and iv not in ivs:
            problems.append(
                Problem(
                    f"{at} column intervention",
                    f"unknown intervention id {iv!r}: use an id of the scenario's "
                    "/interventions, or leave it empty for a project that is no intervention",
                )
            )
        if area and area not in areas:
            problems.append(Problem(f"{at} column area", f"unknown area id {area!r}: use an id of the scenario's /areas"))
        year: int | None = None
        if year_text:
            try:
                year = int(year_text)
            except ValueError:
                year = None
            if year is None or not 1 <= year <= scenario.H:
                problems.append(
                    Problem(
                        f"{at} column year",
                        f"must be a year of the horizon, 1 to {scenario.H}; got {year_text!r}: "
                        "or leave it empty for spending over the whole horizon",
                    )
                )
        if not math.isfinite(cost) or cost < 0:
            problems.append(Problem(f"{at} column cost", "must be a number of pounds, 0 or more"))
        if iv and area:
            mapped[p] = Project(str(p.name), name, cost, iv, area, year)
        else:
            lacking = " and ".join(c for c, v in (("intervention", iv), ("area", area)) if not v)
            mapped[p] = Project(
                str(p.name),
                name,
                cost,
                reason=f"names no {lacking} of the scenario (project columns intervention and area): it is kept out of the commitments",
            )
    if problems:
        raise ResidentsInputError(problems)
    chosen = [mapped[p] for p in winners(instance, profile, rule, where)]
    totals: dict[tuple[str, str, int | None], float] = {}
    for w in chosen:
        if w.reason is None:
            key = (str(w.intervention), str(w.area), w.year)
            totals[key] = totals.get(key, 0.0) + w.cost
    commitments = [
        {"intervention": i, "area": a, **({"year": y} if y is not None else {}), "min_spend": spend}
        for (i, a, y), spend in sorted(totals.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or 0))
    ]
    return VoteOutcome(
        rule=rule,
        budget=float(instance.budget_limit),
        winners=chosen,
        commitments=commitments,
        unmapped=[w for w in chosen if w.reason is not None],
    )


def with_commitments(data: dict[str, Any], result: VoteOutcome) -> tuple[dict[str, Any], Scenario]:
    """A new version of the scenario document with the vote's commitments added to any it had, validated."""
    doc = copy.deepcopy(data)
    doc["schema_version"] = 2
    policy = doc.setdefault("policy", {})
    policy["commitments"] = list(policy.get("commitments") or []) + [dict(c) for c in result.commitments]
    return doc, parse_scenario(doc)
