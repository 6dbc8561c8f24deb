"""A new scenario from a place, in Debian's Chromium: pick a place, a problem shown next to its field, fixed, stored, solved, appraised.

The scenario the form stores is checked against the API's copy of it, and
its answer against the API's solve of the same stored scenario.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from board_testing import Service
from playwright.sync_api import Page, expect
from test_board_page import SCENARIO_URL, _tab_to, api, check_axe, sign_in, who_pays

PLACE_URL = re.compile(r"/scenarios/new/place$")


def test_a_scenario_from_a_place(page: Page, service: Service, tmp_path: Path) -> None:
    sign_in(page, service)
    page.get_by_test_id("new-place").click()
    expect(page).to_have_url(PLACE_URL)
    check_axe(page)

    # Manchester's council, a police budget that is not an amount: the validator's words next to that field
    page.get_by_test_id("place").select_option("lad:E08000003")
    page.get_by_test_id("budget-police-2").fill("a lot")
    page.get_by_test_id("min-share").fill("40")
    page.get_by_test_id("build").click()
    expect(page.get_by_test_id("problems")).to_be_visible()
    expect(page.get_by_test_id("error-budget-police-2")).to_contain_text("Input should be a valid number")
    expect(page.get_by_test_id("problems").locator("a[href='#budget-police-2']")).to_contain_text("/pools/1/budget/1")
    assert page.title().startswith("Error: ")
    expect(page.get_by_test_id("place")).to_have_value("lad:E08000003")  # what was chosen, kept
    expect(page.get_by_test_id("min-share")).to_have_value("40")
    check_axe(page)
    # the summary's link takes the focus to the field
    page.get_by_test_id("problems").locator("a[href='#budget-police-2']").click()
    expect(page.get_by_test_id("budget-police-2")).to_be_focused()

    # fixed: stored as a new scenario, the browser on its page
    page.get_by_test_id("budget-police-2").fill("£900,000")
    page.get_by_test_id("no-agency-worse-off").check()
    page.get_by_test_id("build").click()
    expect(page).to_have_url(SCENARIO_URL)
    scenario_id = page.url.rsplit("/", 1)[1].split("#")[0]
    expect(page.get_by_role("heading", level=1)).to_have_text("Prevention pool: Manchester")
    status, stored = api(service, "GET", f"/v1/scenarios/{scenario_id}", service.keys["north-board"])
    assert status == 200 and len(stored["scenario"]["areas"]) == 295
    police = next(p for p in stored["scenario"]["pools"] if p["id"] == "police")
    assert police["budget"][1] == 900_000
    assert stored["scenario"]["policy"]["community_wealth_fund"]["min_share"] == pytest.approx(0.4)
    assert stored["scenario"]["policy"]["no_agency_worse_off"] is True

    # solved: who pays is the API's answer for the same stored scenario
    page.get_by_test_id("solve").click()
    expect(page.get_by_test_id("who-pays")).to_be_visible()
    status, result = api(service, "POST", f"/v1/scenarios/{scenario_id}/solve", service.keys["north-board"])
    assert status == 200 and result["status"] == "optimal"
    for agency, (pays, _gains) in who_pays(page).items():
        assert pays == pytest.approx(result["summary"]["spending_by_agency"].get(agency, 0.0), abs=0.006)
    check_axe(page)

    # the appraisal pack of that answer: the one-page report and its table, downloaded; another tenant gets 404 for them
    with page.expect_download() as got:
        page.get_by_test_id("download-appraisal").click()
    saved = tmp_path / "appraisal.html"
    got.value.save_as(saved)
    text = saved.read_text(encoding="utf-8")
    assert got.value.suggested_filename.startswith("appraisal-") and text.startswith("<!DOCTYPE html>")
    assert "Appraisal: Prevention pool: Manchester" in text and "<svg" in text
    with page.expect_download() as got:
        page.get_by_test_id("download-appraisal-csv").click()
    got.value.save_as(tmp_path / "appraisal.csv")
    with (tmp_path / "appraisal.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    total = next(r for r in rows if r["kind"] == "total")
    assert float(total["spending_discounted"]) == pytest.approx(sum(result["summary"]["spending_by_agency"].values()), rel=1e-6)

    # the form is the board's own: another tenant's board cannot see what it stored
    page.get_by_test_id("sign-out").click()
    sign_in(page, service, "south-board")
    response = page.goto(f"{service.url}/scenarios/{scenario_id}")
    assert response is not None and response.status == 404
    for tail in ("appraisal.html", "appraisal.csv"):
        assert page.request.get(f"{service.url}/scenarios/{scenario_id}/{tail}").status == 404


def test_the_place_form_with_the_keyboard(page: Page, service: Service) -> None:
    """Tab to the picker, type to jump to a place, tick and untick, Enter to build: no mouse anywhere."""
    sign_in(page, service)
    _tab_to(page, "new-place")
    page.keyboard.press("Enter")
    expect(page).to_have_url(PLACE_URL)
    _tab_to(page, "place")
    page.keyboard.type("Manchester")  # a closed select jumps to the first option starting with what is typed
    assert page.get_by_test_id("place").input_value().startswith(("lad:", "utla:"))
    page.get_by_test_id("place").select_option("lad:E08000003")  # (the same option, whichever group the letters reached first)
    _tab_to(page, "intervention-falls_prevention")
    page.keyboard.press("Space")
    expect(page.get_by_test_id("intervention-falls_prevention")).not_to_be_checked()
    _tab_to(page, "cost-sharing-budget_share")  # a group of radios is one stop, on the one chosen; an arrow key moves the choice
    page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("cost-sharing-shares")).to_be_checked()  # the agreed shares (their fields are always on the page)
    expect(page.get_by_test_id("share-council")).to_be_visible()
    _tab_to(page, "share-council")
    page.keyboard.type("2")
    _tab_to(page, "share-police")
    page.keyboard.type("1")
    _tab_to(page, "share-nhs")
    page.keyboard.type("1")
    _tab_to(page, "build")
    page.keyboard.press("Enter")
    expect(page).to_have_url(SCENARIO_URL)
    scenario_id = page.url.rsplit("/", 1)[1]
    status, stored = api(service, "GET", f"/v1/scenarios/{scenario_id}", service.keys["north-board"])
    assert status == 200 and stored["scenario"]["schema_version"] == 2
    assert stored["scenario"]["policy"]["cost_sharing"]["rule"] == "shares"
    assert "falls_prevention" not in {iv["id"] for iv in stored["scenario"]["interventions"]}


def test_the_place_form_at_320_pixels(page: Page, service: Service) -> None:
    """WCAG reflow: the form, its long picker and its problems fit 320 CSS pixels."""
    page.set_viewport_size({"width": 320, "height": 900})
    sign_in(page, service)
    page.goto(service.url + "/scenarios/new/place")
    widths = {"form": page.evaluate("document.documentElement.scrollWidth")}
    page.get_by_test_id("build").click()  # no place chosen
    expect(page.get_by_test_id("error-place")).to_contain_text("Choose a place")
    widths["problems"] = page.evaluate("document.documentElement.scrollWidth")
    assert all(w <= 320 for w in widths.values()), widths
    check_axe(page)
