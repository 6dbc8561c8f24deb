"""How much of each service is worth buying: the plan's reach per intervention and band (docs/model.md 2.1).

With bands of diminishing returns the optimum says not only whether to run a service but how far: it
buys a band while a participant there is worth more than they cost under the rules. This module reads
that back from a result, in the scenario's terms: for each intervention, the share of its full reach
(max_coverage of its target group, in every area a pool may fund it and every year) that the plan
buys, and for each band the share of that band filled (bands filled in order, as the contract says).
It reads only the scenario and the result JSON, so it serves the CLI, the appraisal pack and the page alike.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from optimizer.check import allocation_rows, allowed_pools
from optimizer.scenario import Scenario


def reach(s: Scenario, result: dict[str, Any]) -> list[dict[str, Any]]:
    """Per intervention: ``{intervention, name, bought, reach, share, bands: [{up_to, effect, share}]}``.

    ``bought`` and ``reach`` are participant-years; ``share`` is bought / reach (None where nothing can be
    reached); each band's ``share`` is the part of its participant-years filled.
    """
    n: dict[tuple[str, str, int], float] = defaultdict(float)
    for row in allocation_rows(result):
        n[(row["area"], row["intervention"], int(row["year"]))] += float(row["participants"])
    out = []
    for iv in s.interventions:
        bands = [(b.up_to, b.effect) for b in iv.response] if iv.response else [(iv.max_coverage, 1.0)]
        filled = [0.0] * len(bands)
        room = [0.0] * len(bands)
        bought = total = 0.0
        for area in s.areas:
            people = float(area.groups.get(iv.target_group, 0.0))
            if people <= 0 or not allowed_pools(s, area.id, iv.id):
                continue
            for t in range(1, s.H + 1):
                got = n.get((area.id, iv.id, t), 0.0)
                bought += got
                total += iv.max_coverage * people
                below = 0.0
                for b, (up_to, _effect) in enumerate(bands):
                    top = up_to * people
                    room[b] += top - below
                    filled[b] += max(0.0, min(got, top) - below)
                    below = top
        out.append(
            {
                "intervention": iv.id,
                "name": iv.name,
                "bought": bought,
                "reach": total,
                "share": bought / total if total > 0 else None,
                "bands": [
                    {"up_to": u, "effect": e, "share": filled[b] / room[b] if room[b] > 0 else None} for b, (u, e) in enumerate(bands)
                ],
            }
        )
    return out


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.0%}"


def sentences(s: Scenario, result: dict[str, Any], rows: list[dict[str, Any]] | None = None) -> list[str]:
    """One sentence per intervention: how much of it is worth buying, and where its bands stop paying (``rows``:
    :func:`reach` of the same result, where the caller has it already)."""
    lines = []
    held = {b["intervention"]: b for b in result.get("binding_rules") or [] if b.get("rule") == "commitment"}
    for r in reach(s, result) if rows is None else rows:
        if r["intervention"] in held and r["bought"] > 1e-9:
            c = s.policy.commitments[held[r["intervention"]]["commitment"]]
            lines.append(
                f"{r['name']}: the plan buys {_pct(r['share'])} of its full reach, held there by the board's commitment to "
                f"spend £{c.min_spend:,.0f} on it (policy.commitments[{held[r['intervention']]['commitment']}])."
            )
            continue
        if r["share"] is None:
            lines.append(f"{r['name']}: no pool may fund it where its target group lives.")
            continue
        if r["bought"] <= 1e-9:
            lines.append(f"{r['name']}: the plan buys none of it.")
            continue
        head = f"{r['name']}: the plan buys {_pct(r['share'])} of its full reach"
        if len(r["bands"]) == 1:
            lines.append(head + ("." if r["share"] < 0.995 else " (as widely as it can be run)."))
            continue
        parts = [f"band {b + 1} (effect {band['effect']:g}) {_pct(band['share'])}" for b, band in enumerate(r["bands"])]
        stop = next((b for b, band in enumerate(r["bands"]) if band["share"] is not None and band["share"] < 0.995), None)
        later = [] if stop is None else [band["share"] or 0.0 for band in r["bands"][stop + 1 :]]
        if stop is None:
            tail = ""
        elif any(x > 0.005 for x in later):
            tail = " (further in some areas than in others: a rule on where money goes, such as the Community Wealth Fund's, decides)"
        else:
            tail = f"; it stops in band {stop + 1}"
        lines.append(f"{head}: {', '.join(parts)} filled{tail}.")
    return lines
