"""Seeded benchmark scenarios on real LSOAs: borough, ICS and national (issue 5).

=========  ===================================================  ==============  ========
scale      areas (real LSOAs, sorted by code)                   interventions   MIP
=========  ===================================================  ==============  ========
borough    the first 300 LSOAs of Bradford (E08000032, 310)     12              optional
ics        NHS Greater Manchester ICB (E54000057): 1,673        20              optional
national   all England: 33,755 (2021 LSOAs; 32,844 on 2019)     20              optional
=========  ===================================================  ==============  ========

Data vintage (``optimizer.place.geography``): the national scale is built on IoD2025
and the 2021 LSOAs by default, as ``totalplace scenario build --england`` is
(``vintage="2019"``, or ``--national-vintage 2019``, gives the 32,844 2011 LSOAs
of the earlier runs, drawn from the same seed); borough and ICS stay on IoD2019
and the 2011 LSOAs, so that their history of runs compares like with like.

Every scale has 3 pools (council, police, NHS) that may fund everything
everywhere, one agency without a pool (``dwp``), 4-8 outcomes, 3 spending
years appraised over 5, the Community Wealth Fund share on (20 % of spending
in areas of decile <= 1 or 2) and "no agency worse off" on. The areas are the
real ones; everything else is drawn from ``random.Random`` seeded with the
scale, the seed and ``mip`` (stable across Python versions), and every figure
is rounded, so ``(scale, seed, mip)`` names one scenario for good.

``mip=True`` adds launch decisions: fixed costs on about half the
interventions and minimum participants on about a third (at least one of
each), and asks for a 0.1 % gap (``solver.mip_gap = 1e-3``).

``python -m benchmarks.generate [--seed N] [--mip] [--national-vintage 2019]`` writes the files to
``benchmarks/out/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "out"
SCALES = ("borough", "ics", "national")
POOLS = ("council", "police", "nhs")
AGENCY = "dwp"
#: target groups that optimizer.place.geography derives for every LSOA
GROUPS = ("families", "young_people_10_17", "older_65_plus", "adults_16_plus", "adults_16_59", "children_0_15", "working_age")
OUTCOME_NAMES = (
    "A&E attendance",
    "emergency admission",
    "police call-out",
    "arrest",
    "child in need episode",
    "looked-after child week",
    "benefit claim month",
    "homelessness case",
)


@dataclass(frozen=True)
class Scale:
    """Where a scale's areas come from and how many interventions it has."""

    kind: str  # optimizer.place.geography kind
    place: str | None  # code of the place (None for England)
    n_areas: int  # areas kept (the first n by LSOA code)
    n_interventions: int
    vintage: str = "2019"  # the data (optimizer.place.geography VINTAGES)


SCALE_SPECS: dict[str, Scale] = {
    "borough": Scale("lad", "E08000032", 300, 12),  # Bradford: 310 LSOAs, the first 300 kept
    "ics": Scale("icb", "E54000057", 1673, 20),  # NHS Greater Manchester ICB: all 1,673
    "national": Scale("england", None, 33755, 20, "2025"),
}
#: the national scale on the other vintage: every 2011 LSOA of England (the runs before 2026-12-07)
NATIONAL_2019 = Scale("england", None, 32844, 20, "2019")
VINTAGES = ("2025", "2019")


def spec_of(scale: str, vintage: str | None = None) -> Scale:
    """The scale's spec, on ``vintage`` (only the national scale has both; None: its default)."""
    if scale not in SCALE_SPECS:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}; got {scale!r}")
    spec = SCALE_SPECS[scale]
    if vintage is None or vintage == spec.vintage:
        return spec
    if scale == "national" and vintage == "2019":
        return NATIONAL_2019
    raise ValueError(f"the {scale} scale is built on {spec.vintage} data only; got vintage {vintage!r}")


def areas_of(scale: str, vintage: str | None = None) -> list[dict[str, Any]]:
    """The real areas of a scale: deprivation, populations and groups of its vintage (optimizer.place.geography)."""
    from optimizer.place.geography import build_areas

    spec = spec_of(scale, vintage)
    return build_areas(spec.kind, spec.place, spec.vintage)[: spec.n_areas]


#: the version 2 generator's bands (docs/model.md 2.1): equal slices of max_coverage, effects falling, average 1
BAND_EFFECTS = {2: (1.3, 0.7), 3: (1.5, 1.0, 0.5), 4: (1.6, 1.2, 0.8, 0.4)}


def scenario(scale: str, seed: int = 0, *, mip: bool = False, vintage: str | None = None, bands: int = 0) -> dict[str, Any]:
    """The benchmark scenario (a plain dict, valid under docs/model.md) of ``scale`` drawn from ``seed``.

    The draw depends on ``(scale, seed, mip)`` only: on either vintage the national scale has the same
    outcomes, interventions and rules, on other areas (and so other budgets, which scale with them).
    ``bands`` (2 to 4; the version 2 generator) gives every intervention that many bands of diminishing
    returns, equal slices of its max_coverage with the effects of :data:`BAND_EFFECTS` (their average is 1,
    so the value of full coverage is the version 1 draw's); the rest of the draw is unchanged.
    """
    spec = spec_of(scale, vintage)
    rng = random.Random(f"totalplace-bench-{scale}-{seed}-{int(mip)}")
    areas = areas_of(scale, spec.vintage)
    horizon, appraisal, rate = 3, 5, 0.035
    discount = [(1 + rate) ** -t for t in range(appraisal)]

    # outcomes: every pool's agency and the agency without a pool pay for some
    payers = [*POOLS, AGENCY]
    outcomes = []
    for k in range(rng.randint(4, 8)):
        who = {payers[k % len(payers)], *rng.sample(payers, rng.randint(0, 2))}
        outcomes.append({"id": f"o{k}", "name": OUTCOME_NAMES[k], "unit_costs": {g: float(rng.randint(20, 400) * 10) for g in sorted(who)}})

    interventions = []
    for k in range(spec.n_interventions):
        effects = []
        for o in rng.sample(outcomes, rng.randint(1, 3)):
            eff: dict[str, Any] = {"outcome": o["id"], "per_participant": round(rng.uniform(0.02, 0.8), 3)}
            if rng.random() < 0.35:
                eff["lag_years"] = rng.randint(1, 2)
            if rng.random() < 0.5:
                eff["duration_years"] = rng.randint(2, 4)
            effects.append(eff)
        value = 0.0  # present value of a year-1 participant to all agencies
        for eff in effects:
            o = next(o for o in outcomes if o["id"] == eff["outcome"])
            first = eff.get("lag_years", 0)
            last = min(first + eff.get("duration_years", 1), appraisal)
            value += eff["per_participant"] * sum(o["unit_costs"].values()) * sum(discount[first:last])
        ratio = rng.uniform(0.6, 2.5)  # value / cost: some interventions are not worth funding
        interventions.append(
            {
                "id": f"iv{k:02d}",
                "name": f"Intervention {k}",
                "target_group": rng.choice(GROUPS),
                "unit_cost": float(max(20, round(value / ratio, -1))),
                "max_coverage": round(rng.uniform(0.01, 0.1), 3),
                "effects": effects,
            }
        )

    # what full coverage everywhere would cost in a year, and in an average area
    eligible = {g: sum(a["groups"].get(g, 0.0) for a in areas) for g in GROUPS}
    per_iv = [iv["unit_cost"] * iv["max_coverage"] * eligible[iv["target_group"]] for iv in interventions]
    potential = sum(per_iv)
    if mip:
        for k, iv in enumerate(interventions):
            mean_upper = iv["max_coverage"] * eligible[iv["target_group"]] / len(areas)
            if rng.random() < 0.5 or k == 0:
                iv["fixed_cost"] = float(round(iv["unit_cost"] * mean_upper * rng.uniform(0.2, 1.0), -2) or 100.0)
            if rng.random() < 0.35 or k == 1:
                iv["min_participants"] = float(max(1, round(mean_upper * rng.uniform(0.2, 0.6))))

    pools = [
        {
            "id": p,
            "name": p.title() if p != "nhs" else "NHS",
            "budget": [float(round(potential * rng.uniform(0.05, 0.12), -3)) for _ in range(horizon)],
        }
        for p in POOLS
    ]
    doc: dict[str, Any] = {
        "schema_version": 1,
        "name": f"benchmark {scale}, seed {seed}{' (MIP)' if mip else ''}"
        + (f" ({spec.vintage} data)" if spec is not SCALE_SPECS[scale] else ""),
        "horizon_years": horizon,
        "appraisal_years": appraisal,
        "discount_rate": rate,
        "pools": pools,
        "agencies": [{"id": AGENCY, "name": "Department for Work and Pensions"}],
        "outcomes": outcomes,
        "areas": areas,
        "interventions": interventions,
        "policy": {"community_wealth_fund": {"min_share": 0.2, "max_decile": rng.choice((1, 2))}, "no_agency_worse_off": True},
    }
    if mip:
        doc["solver"] = {"mip_gap": 1e-3}
    if bands:
        if bands not in BAND_EFFECTS:
            raise ValueError(f"bands must be one of {sorted(BAND_EFFECTS)}; got {bands}")
        doc["schema_version"] = 2
        doc["name"] += f" ({bands} bands)"
        for iv in interventions:
            top = iv["max_coverage"]
            iv["response"] = [
                {"up_to": round(top * (b + 1) / bands, 6) if b + 1 < bands else top, "effect": e} for b, e in enumerate(BAND_EFFECTS[bands])
            ]
    if spec.vintage == "2025":
        doc["data_vintage"] = "2025"
    return doc


def borough(seed: int = 0, *, mip: bool = False) -> dict[str, Any]:
    """300 real LSOAs (Bradford) x 12 interventions x 3 pools x 3 years."""
    return scenario("borough", seed, mip=mip)


def ics(seed: int = 0, *, mip: bool = False) -> dict[str, Any]:
    """1,673 real LSOAs (Greater Manchester ICB) x 20 interventions x 3 pools x 3 years."""
    return scenario("ics", seed, mip=mip)


def national(seed: int = 0, *, mip: bool = False, vintage: str | None = None) -> dict[str, Any]:
    """All 33,755 LSOAs of England (2021; 32,844 with ``vintage="2019"``) x 20 interventions x 3 pools x 3 years."""
    return scenario("national", seed, mip=mip, vintage=vintage)


def path_of(scale: str, seed: int = 0, *, mip: bool = False, out: Path = OUT, vintage: str | None = None, bands: int = 0) -> Path:
    spec = spec_of(scale, vintage)
    return out / (
        f"{scale}{'' if spec is SCALE_SPECS[scale] else '-' + spec.vintage}-s{seed}{'-mip' if mip else ''}"
        f"{f'-b{bands}' if bands else ''}.json"
    )


def write(scale: str, seed: int = 0, *, mip: bool = False, out: Path = OUT, vintage: str | None = None, bands: int = 0) -> Path:
    """Validate the scenario and write it (canonical JSON, via ``save_scenario``); returns its path."""
    from optimizer.forms import save_scenario
    from optimizer.scenario import parse_scenario

    doc = scenario(scale, seed, mip=mip, vintage=vintage, bands=bands)
    return save_scenario(parse_scenario(doc), path_of(scale, seed, mip=mip, out=out, vintage=vintage, bands=bands))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default=",".join(SCALES))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--mip", action="store_true", help="the MIP variants (fixed costs, minimum participants)")
    parser.add_argument(
        "--national-vintage",
        default="2025",
        choices=VINTAGES,
        help="the national scale's data: 2025 (33,755 2021 LSOAs, the default) or 2019 (32,844 2011 LSOAs)",
    )
    args = parser.parse_args()
    for scale in args.scales.split(","):
        print(write(scale, args.seed, mip=args.mip, vintage=args.national_vintage if scale == "national" else None))


if __name__ == "__main__":
    main()
