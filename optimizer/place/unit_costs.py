"""Unit costs from the GMCA / New Economy Unit Cost Database, uprated to one price year.

Every pound in the shipped scenarios comes from here: an outcome's cost to each
agency, and an intervention's delivery cost, are each a :class:`CostSource`
naming the database rows (``cost_code``) it adds up, the quantity it multiplies
them by (hours, incidents) and why. :meth:`CostSource.value` looks the rows up
in the shipped database and uprates each from its own price year to
:data:`PRICE_YEAR` with the HM Treasury GDP deflator (:data:`GDP_DEFLATOR`).

The deflator values are approximate (see ``docs/data.md``): replace them with
the latest HM Treasury release before any real decision; every figure in the
scenarios then follows by rebuilding them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pandas as pd

from optimizer.place.data import GMCA_DATABASE, resource

#: The price year of every amount in the shipped scenarios.
PRICE_YEAR = "2023/24"

#: HM Treasury GDP deflator at market prices, financial years, 2023/24 = 100.
#: Approximate (to about +-3 %): reconstructed from the HM Treasury series
#: "GDP deflators at market prices, and money GDP" (ONS series L8GG), not
#: copied from one release. Only the years the shipped costs need are listed.
GDP_DEFLATOR: dict[str, float] = {
    "2000/01": 56.6,
    "2001/02": 57.9,
    "2002/03": 59.7,
    "2003/04": 61.2,
    "2004/05": 62.7,
    "2005/06": 64.2,
    "2006/07": 66.0,
    "2007/08": 67.7,
    "2008/09": 69.4,
    "2009/10": 70.4,
    "2010/11": 71.7,
    "2011/12": 72.9,
    "2012/13": 74.1,
    "2013/14": 75.6,
    "2014/15": 76.8,
    "2023/24": 100.0,
}


def uprate_factor(price_year: str, to: str = PRICE_YEAR) -> float:
    """Multiply an amount at ``price_year`` prices by this to get ``to`` prices."""
    try:
        return GDP_DEFLATOR[to] / GDP_DEFLATOR[price_year]
    except KeyError as exc:
        raise KeyError(f"no GDP deflator for price year {exc.args[0]!r}; known: {sorted(GDP_DEFLATOR)}") from None


@cache
def gmca_database() -> pd.DataFrame:
    """The whole GMCA Unit Cost Database v1.4, indexed by ``cost_code``."""
    with resource(GMCA_DATABASE).open("rb") as handle:
        table = pd.read_csv(handle, compression="gzip", dtype={"cost_code": str, "price_year": str})
    if not table["cost_code"].is_unique:
        raise ValueError("the shipped GMCA database repeats a cost_code")
    return table.set_index("cost_code")


def gmca_row(code: str) -> pd.Series:
    """One row of the database; a clear error for an unknown code."""
    table = gmca_database()
    if code not in table.index:
        raise KeyError(f"cost_code {code!r} is not in the GMCA Unit Cost Database v1.4")
    row = table.loc[code]
    if not isinstance(row, pd.Series):  # a code listed twice would give a frame
        raise KeyError(f"cost_code {code!r} is listed more than once in the GMCA Unit Cost Database v1.4")
    return row


@dataclass(frozen=True)
class CostSource:
    """A unit cost: the sum of some database rows, uprated, times a quantity.

    ``codes`` are GMCA cost codes added together (each uprated from its own
    price year); ``quantity`` multiplies the sum (for example hours of staff
    time, an assumption stated in ``note``).
    """

    codes: tuple[str, ...]
    quantity: float = 1.0
    note: str = ""

    def original(self) -> list[tuple[str, float, str]]:
        """``(code, cost_gbp, price_year)`` of each row, as published."""
        return [(c, float(gmca_row(c)["cost_gbp"]), str(gmca_row(c)["price_year"])) for c in self.codes]

    def value(self) -> float:
        """The uprated unit cost in pounds at :data:`PRICE_YEAR` prices, to the penny."""
        total = sum(cost * uprate_factor(year) for _, cost, year in self.original())
        return round(total * self.quantity, 2)

    def cite(self) -> str:
        """A short citation: ``GMCA CR2.0.3 (£415, 2008/09)``, with the quantity if not 1."""
        parts = " + ".join(f"{c} (£{cost:,.2f} {year})".replace(".00 ", " ") for c, cost, year in self.original())
        cite = f"GMCA {parts}"
        if self.quantity != 1:
            cite += f" x {self.quantity:g}"
            if self.note:
                cite += f" ({self.note})"
        return cite


@dataclass(frozen=True)
class OutcomeCost:
    """An outcome and what one occurrence costs each agency that bears it."""

    id: str
    label: str
    by_agency: dict[str, CostSource]

    def unit_costs(self) -> dict[str, float]:
        return {agency: source.value() for agency, source in self.by_agency.items()}

    def name(self) -> str:
        """The scenario label."""
        return self.label

    def source(self) -> str:
        """The citation of the unit costs (docs/model.md 2.5): the GMCA rows of each agency's cost, and the uprating."""
        cites = "; ".join(f"{agency}: {source.cite()}" for agency, source in self.by_agency.items())
        return f"{cites}; uprated to {PRICE_YEAR} by GDP deflator (GMCA Unit Cost Database v1.4, docs/data.md)"


#: Who bears what. Agency ids: the three pools and ``cjs`` (criminal justice
#: system other than the police: courts, legal aid, prisons, probation, youth justice).
OUTCOMES: dict[str, OutcomeCost] = {
    o.id: o
    for o in (
        OutcomeCost(
            "dv_incident",
            "Domestic-violence incident",
            {
                "nhs": CostSource(("CR2.0.1",)),
                "cjs": CostSource(("CR2.0.2",)),
                "police": CostSource(("CR2.0.3",)),
                "council": CostSource(("CR2.0.4", "CR2.0.5"), note="children's social care + housing"),
            },
        ),
        OutcomeCost(
            "police_callout",
            "Police call-out (other than domestic violence)",
            {
                "police": CostSource(("CR9.0",), 3.0, note="assumption: 3 officer-hours per call-out"),
            },
        ),
        OutcomeCost(
            "persistent_absence",
            "Pupil persistently absent for a year",
            {
                "council": CostSource(("E&S1.0.1", "E&S1.0.4"), note="alternative education + social services"),
                "nhs": CostSource(("E&S1.0.2",)),
                "cjs": CostSource(("E&S1.0.3",)),
            },
        ),
        OutcomeCost(
            "first_time_entrant",
            "First-time entrant to the youth justice system (first year)",
            {
                "cjs": CostSource(("CR4.0",)),
            },
        ),
        OutcomeCost(
            "asb_incident",
            "Anti-social behaviour incident needing further action",
            {
                "police": CostSource(("CR1.0",)),
            },
        ),
        OutcomeCost(
            "arrest",
            "Arrest (detained)",
            {
                "police": CostSource(("CR7.0",)),
            },
        ),
        OutcomeCost(
            "gp_consultation",
            "GP face-to-face consultation",
            {
                "nhs": CostSource(("HE20.2",)),
            },
        ),
        OutcomeCost(
            "ae_attendance",
            "A&E attendance",
            {
                "nhs": CostSource(("HE4.0",)),
            },
        ),
        OutcomeCost(
            "emergency_admission",
            "Non-elective (emergency) hospital admission",
            {
                "nhs": CostSource(("HE7.0.2",)),
            },
        ),
        OutcomeCost(
            "fall_admission",
            "Hospital admission after a fall, aged 60+ (not a hip fracture)",
            {
                "nhs": CostSource(("HE7.11",)),
            },
        ),
        OutcomeCost(
            "hip_fracture",
            "Hip fracture",
            {
                "nhs": CostSource(("HE7.10.1",)),
                "council": CostSource(("HE7.10.2",)),
            },
        ),
    )
}

#: Delivery cost per participant per year of each intervention.
INTERVENTION_COSTS: dict[str, CostSource] = {
    "early_help": CostSource(("SS6.0",), note="one CAF / Team Around the Family episode (six months of support) per family per year"),
    "youth_diversion": CostSource(("CR4.3",), 20.0, note="assumption: 20 hours of YOT practitioner time per young person"),
    "social_prescribing": CostSource(
        ("SS18.6",), 6.0, note="assumption: 6 hours of link-worker time, costed at a social work assistant hour"
    ),
    "domestic_abuse_support": CostSource(
        ("SS18.10",), 20.0, note="assumption: 20 hours of IDVA-style support, costed at a family support worker hour"
    ),
    "falls_prevention": CostSource(
        ("SS18.8",),
        6.0,
        note="assumption: 6 hours of community occupational therapist time for assessment, home hazards and an exercise plan",
    ),
}

#: Agencies that bear costs but hold no pool.
AGENCIES_WITHOUT_POOL = {"cjs": "Criminal justice system other than the police (courts, legal aid, prisons, probation, youth justice)"}
