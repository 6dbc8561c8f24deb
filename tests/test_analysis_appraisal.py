"""The appraisal pack (optimizer/analysis/appraisal.py), recomputed by hand on tiny.json.

tiny.json: 2 spending years, appraised over 3, discount 3.5 %: d = (1, 1/1.035, 1/1.035^2).

Per participant (from the effects and unit costs):
* early help in year t: council 0.02 x £51,080 = £1,021.60 in years t+1 and t+2 (lag 1, 2 years);
  police 0.5 x £500 = £250 in year t. Cost £1,500.
* youth diversion in year t: police 1.2 x £500 = £600 in years t and t+1; NHS 0.5 x £150 = £75 in year t. Cost £800.

The optimum, by hand: youth diversion is worth (600 + 600/1.035 + 75)/800 = £1.57 a pound in year 1 and
(600/1.035 + 600/1.035^2 + 75/1.035)/(800/1.035) = £1.54 in year 2, so it runs at full coverage, 0.3 x (90 + 70)
= 48 places a year (£38,400). Early help is worth (250 + 1021.6/1.035 + 1021.6/1.035^2)/1500 = £1.46 a pound in
year 1 but only (250/1.035 + 1021.6/1.035^2)/(1500/1.035) = £0.83 in year 2 (its second year of savings falls
beyond the appraisal): it takes what is left of year 1's £70,000, £31,600, that is 21.0667 families.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from optimizer.analysis import AnalysisError
from optimizer.analysis.appraisal import appraise, table, write_csv
from optimizer.analysis.report import html_page
from optimizer.scenario import parse_scenario
from optimizer.solve import solve

ROOT = Path(__file__).resolve().parents[1]
D = (1.0, 1 / 1.035, 1 / 1.035**2)
EH1 = 31_600 / 1_500  # early-help families in year 1
YD = 48.0  # youth diversion places each year


@pytest.fixture(scope="module")
def tiny():
    return parse_scenario(json.loads((ROOT / "scenarios" / "examples" / "tiny.json").read_text()))


@pytest.fixture(scope="module")
def pack(tiny):
    return appraise(tiny)


def test_the_plan_is_the_one_worked_out(tiny) -> None:
    rows = solve(tiny).to_dict()["allocations"]
    n = {}
    for r in rows:
        n[(r["intervention"], r["year"])] = n.get((r["intervention"], r["year"]), 0.0) + r["participants"]
    assert n == pytest.approx({("early_help", 1): EH1, ("youth_diversion", 1): YD, ("youth_diversion", 2): YD})


def test_interventions_by_hand(pack) -> None:
    rows = {r["id"]: r for r in pack["interventions"]}
    eh, yd = rows["early_help"], rows["youth_diversion"]
    eh_cash = [250 * EH1, 1021.6 * EH1, 1021.6 * EH1]
    yd_cash = [675 * YD, 600 * YD + 675 * YD, 600 * YD]
    # the pack is in pence, each year's column adding up to the total row (largest remainder): within a penny of the hand figures
    assert eh["cash_by_year"] == pytest.approx(eh_cash, abs=0.01) and yd["cash_by_year"] == pytest.approx(yd_cash, abs=0.01)
    assert eh["cashable_savings"] == pytest.approx(sum(eh_cash)) and yd["cashable_savings"] == pytest.approx(sum(yd_cash))
    assert eh["spending"] == pytest.approx(31_600) and eh["spending_discounted"] == pytest.approx(31_600)
    assert yd["spending"] == pytest.approx(76_800) and yd["spending_discounted"] == pytest.approx(38_400 * (1 + D[1]))
    eh_sav = sum(c * d for c, d in zip(eh_cash, D, strict=True))
    yd_sav = sum(c * d for c, d in zip(yd_cash, D, strict=True))
    assert eh["savings_discounted"] == pytest.approx(eh_sav) and yd["savings_discounted"] == pytest.approx(yd_sav)
    assert eh["npv"] == pytest.approx(eh_sav - 31_600) and eh["roi"] == pytest.approx((eh_sav - 31_600) / 31_600)
    # payback, discounted: early help's savings so far reach £31,600 only in year 3 (5,267 + 20,794 = 26,061 < 31,600 in year 2)
    assert eh["payback_year"] == 3
    # youth diversion: year 1 32,400 < 38,400; year 2 32,400 + 61,200/1.035 = 91,530 >= 38,400 + 37,101 = 75,501
    assert yd["payback_year"] == 2


def test_agencies_by_hand(pack) -> None:
    rows = {r["id"]: r for r in pack["agencies"]}
    council = 1021.6 * EH1 * (D[1] + D[2])
    police = 250 * EH1 + 600 * YD * (1 + D[1]) + 600 * YD * (D[1] + D[2])
    nhs = 75 * YD * (1 + D[1])
    assert rows["council"]["savings_discounted"] == pytest.approx(council)
    assert rows["police"]["savings_discounted"] == pytest.approx(police)
    assert rows["nhs"]["savings_discounted"] == pytest.approx(nhs)
    assert rows["nhs"]["spending"] == 0 and rows["nhs"]["roi"] is None and rows["nhs"]["payback_year"] is None
    assert rows["nhs"]["cashable_savings"] == pytest.approx(75 * YD * 2)  # cash, undiscounted, years 1 and 2
    # year 1's budgets bind, so the police spend their £20,000 then; their savings in year 1 alone (£34,067) repay it
    assert rows["police"]["spend_by_year"][0] == pytest.approx(20_000) and rows["police"]["payback_year"] == 1
    total_spend = sum(r["spending_discounted"] for r in rows.values())
    assert total_spend == pytest.approx(pack["total"]["spending_discounted"])


def test_totals_agree_with_the_core(pack, tiny) -> None:
    result = solve(tiny).to_dict()
    t = pack["total"]
    assert t["npv"] == pytest.approx(result["objective"])  # no social value weight, no equity weights here
    assert t["savings_discounted"] == pytest.approx(sum(result["summary"]["savings_by_agency"].values()))
    assert sum(r["savings_discounted"] for r in pack["agencies"]) == pytest.approx(t["savings_discounted"])
    assert t["payback_year"] == 2


def test_csv_and_html(pack, tmp_path: Path) -> None:
    path = tmp_path / "pack.csv"
    write_csv(pack, path)
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["kind"] for r in rows] == ["intervention", "intervention", "agency", "agency", "agency", "total"]
    assert float(rows[0]["spending"]) == pytest.approx(31_600) and rows[0]["payback_year"] == "3"
    assert rows[4]["payback_year"] == ""  # NHS: nothing spent
    assert {"cash_year_3", "spend_year_2"} <= set(rows[0])
    assert len(table(pack)) == 6
    page = html_page(pack)
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 3
    assert "Spending by deprivation decile" in page and "Who pays and who gains" in page and "Spending by year" in page
    # self-contained: the charts are inline SVG (Vega-Lite rendered by vl-convert), nothing is fetched
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "").replace(
        "http://www.w3.org/1999/xlink", ""
    )
    assert page.count('class="mark-rect') == 3  # the three charts' bars, drawn by Vega


def test_infeasible_result_is_refused(tiny) -> None:
    with pytest.raises(AnalysisError, match="no plan to appraise"):
        appraise(tiny, {"status": "infeasible", "message": "x"})


def test_who_pays_in_the_pack_by_hand(pack) -> None:
    """Who pays (docs/model.md 2.4), worked out by hand on tiny.json.

    Year 1 spends 38,400 + 31,600 = £70,000, both budgets whole (council £50,000, police £20,000); year 2 spends
    £38,400 on youth diversion, which either pool may fund. The rule splits each year by budget share (5/7, 2/7):
    year 2 police 2/7 x 38,400 = £10,971.43, so police pays 20,000 + 10,971.43/1.035 = £30,600.41 discounted and
    the council 50,000 + 27,428.57/1.035 = £76,501.03, deviation 0. The room: year 1 is fixed (both budgets spent
    whole); year 2 police pays from 0 to its £20,000 budget, so police 20,000 to 20,000 + 20,000/1.035 = £39,323.67
    and the council 50,000 + 18,400/1.035 = £67,777.78 to 50,000 + 38,400/1.035 = £87,101.45.
    """
    assert pack["cost_sharing"]["rule"] == "budget_share" and pack["cost_sharing"]["deviation"] == pytest.approx(0, abs=0.01)
    rng = pack["pool_spending_range"]
    assert rng["police"]["min"] == pytest.approx(20_000, abs=0.01) and rng["police"]["max"] == pytest.approx(
        20_000 + 20_000 / 1.035, abs=0.01
    )
    assert rng["council"]["min"] == pytest.approx(50_000 + 18_400 / 1.035, abs=0.01)
    assert rng["council"]["max"] == pytest.approx(50_000 + 38_400 / 1.035, abs=0.01)
    paid = {r["id"]: r["spending_discounted"] for r in pack["agencies"]}
    assert paid["police"] == pytest.approx(20_000 + 38_400 * 2 / 7 / 1.035, abs=0.01)
    assert paid["council"] == pytest.approx(50_000 + 38_400 * 5 / 7 / 1.035, abs=0.01)
    assert any("Police pays £31k" in m and "from £20k to £39k" in m for m in pack["who_pays"])
    page = html_page(pack)
    assert "<h2>Who pays</h2>" in page and "from £68k to £87k" in page
    assert "Sources" not in page and "residents' theme" not in page  # a version 1 scenario: none to show
    assert "source" not in table(pack).columns


def test_a_version_2_pack_carries_sources_and_themes() -> None:
    """The tight Manchester scenario (version 2): every intervention row cites its source, each affected outcome its own
    (docs/model.md 2.5), in the pack, the CSV and the page; the value by theme adds up to the objective's benefit."""
    s = parse_scenario(json.loads((ROOT / "scenarios" / "tight" / "manchester_tight.json").read_text()))
    v2 = appraise(s)
    sources = {iv.id: iv.source for iv in s.interventions}
    assert all(sources.values()) and {r["id"]: r["source"] for r in v2["interventions"]} == sources
    affected = {e.outcome for iv in s.interventions for e in iv.effects}
    assert set(v2["outcome_sources"]) == affected and all(
        v2["outcome_sources"][o] == o_.source for o_ in s.outcomes for o in [o_.id] if o in affected
    )
    assert list(table(v2)["source"][: len(sources)]) == list(sources.values())
    page = html_page(v2)
    assert "<h2>Sources</h2>" in page and "<h2>Value by residents' theme</h2>" in page
    total = sum(v2["value_by_theme"].values()) + v2.get("value_without_theme", 0.0)
    assert total == pytest.approx(v2["objective"] + v2["total"]["spending_discounted"], rel=1e-6)
