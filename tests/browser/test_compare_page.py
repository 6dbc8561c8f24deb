"""Comparing two versions of a scenario on the boards' page, in Debian's Chromium.

A board uploads the tight Manchester scenario (A), saves a changed version from
the page's "What if?" form (B, whose parent is A), and opens the comparison from
B's version history. The figures on the page are checked against independent
evidence: ``optimizer.compare`` run in this test's own process on the same two
stored scenarios (read back over the API), never against numbers written here.
"""

from __future__ import annotations

import re
from typing import Any

from board_testing import ROOT, Service
from playwright.sync_api import Browser, Page, expect
from test_board_page import TIGHT, _tab_to, api, check_axe, sign_in, upload

from optimizer import compare, parse_scenario

CAMDEN = ROOT / "scenarios" / "camden.json"


def changed_version(page: Page) -> str:
    """On A's page, save a new version with three changes (the police pool's year 1 budget, the council's year 2
    budget, the Community Wealth Fund share) from the "What if?" form; the browser lands on B's page. B's id."""
    a_id = page.url.rsplit("/", 1)[1].split("#")[0].split("?")[0]
    page.get_by_test_id("budget-police-1").fill("900000.00")
    page.get_by_test_id("budget-council-2").fill("3000000.00")
    page.get_by_test_id("min-share").fill("60")
    page.get_by_test_id("resolve").click()
    expect(page).to_have_url(re.compile(r"/scenarios/sc_[0-9a-f]{32}(#answer|\?job=job_[0-9a-z_]+)?$"))
    b_id = page.url.rsplit("/", 1)[1].split("#")[0].split("?")[0]
    assert b_id != a_id
    expect(page.get_by_test_id("parent")).to_have_attribute("href", f"/scenarios/{a_id}")
    return b_id


def in_process(service: Service, a_id: str, b_id: str) -> dict[str, Any]:
    """The comparison computed here, from the two stored scenarios as the API returns them."""
    key = service.keys["north-board"]
    docs = []
    for sid in (a_id, b_id):
        status, stored = api(service, "GET", f"/v1/scenarios/{sid}", key)
        assert status == 200
        docs.append(stored["scenario"])
    assert stored["parent_id"] == a_id
    return compare.compare(parse_scenario(docs[0]), parse_scenario(docs[1]))


def check_report(page: Page, expected: dict[str, Any]) -> None:
    """The page's changes and attribution are the in-process report's; the attribution sums to the objective change shown."""
    expect(page.get_by_test_id("attribution")).to_be_visible()
    shown_changes = [r.get_attribute("data-change") for r in page.get_by_test_id("changes").locator("tr[data-change]").all()]
    assert shown_changes == [c["id"] for c in expected["changes"]]
    assert len(shown_changes) == 3
    for c in expected["changes"]:
        expect(page.get_by_test_id("changes").locator(f"tr[data-change='{c['id']}']")).to_contain_text(c["message"])
    rows = page.get_by_test_id("attribution").locator("tr[data-change]").all()
    values = {r.get_attribute("data-change"): int(r.get_attribute("data-value") or "nan") for r in rows}
    shown_change = int(page.get_by_test_id("comparison").get_attribute("data-objective-change") or "nan")
    assert sum(values.values()) == shown_change
    assert int(page.get_by_test_id("sum-of-values").get_attribute("data-pence") or "nan") == shown_change
    assert shown_change == expected["objective_change"]
    assert values == {e["change"]: e["value"] for e in expected["attribution"]}
    assert any(v != 0 for v in values.values()), "a comparison in which no change matters tests little"
    pounds = f"£{abs(expected['objective_change']) / 100:,.2f}"
    expect(page.get_by_test_id("objective-change")).to_contain_text(pounds)


def test_compare_two_versions_from_the_history(page: Page, service: Service) -> None:
    sign_in(page, service)
    a_id = upload(page, service, TIGHT)
    expect(page.get_by_test_id("no-history")).to_be_visible()
    b_id = changed_version(page)
    expect(page.get_by_test_id("who-pays")).to_be_visible()

    # B's history offers A; A's history offers B; both links open the same comparison, A the earlier
    history = page.get_by_test_id("history")
    expect(history.locator(f"tr[data-version='{a_id}']")).to_contain_text("made from")
    check_axe(page)
    history.locator(f"tr[data-version='{a_id}']").get_by_test_id("compare-with").click()
    expect(page).to_have_url(re.compile(rf"/scenarios/{a_id}/compare/{b_id}$"))
    check_report(page, in_process(service, a_id, b_id))
    expect(page.locator("body[data-charts=drawn]")).to_be_attached(timeout=20_000)
    expect(page.locator(".tp-chart[data-chart=waterfall] svg")).to_be_attached()
    check_axe(page)

    page.goto(f"{service.url}/scenarios/{a_id}")
    page.get_by_test_id("history").locator(f"tr[data-version='{b_id}']").get_by_test_id("compare-with").click()
    expect(page).to_have_url(re.compile(rf"/scenarios/{a_id}/compare/{b_id}$"))
    expect(page.get_by_test_id("attribution")).to_be_visible()


def test_comparison_errors_are_summaries_not_failures(page: Page, service: Service) -> None:
    """Unknown ids and another tenant's versions are 404, as the API answers; different places are compared on the
    figures only, with the reason in an error summary."""
    sign_in(page, service)
    a_id = upload(page, service, TIGHT)
    b_id = changed_version(page)
    missing = "sc_" + "0" * 32
    response = page.goto(f"{service.url}/scenarios/{a_id}/compare/{missing}")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("compare-errors")).to_contain_text(missing)
    check_axe(page)
    status, _ = api(service, "GET", f"/v1/scenarios/{a_id}/compare/{missing}", service.keys["north-board"])
    assert status == 404

    camden_id = upload(page, service, CAMDEN)
    response = page.goto(f"{service.url}/scenarios/{a_id}/compare/{camden_id}")
    assert response is not None and response.status == 200
    expect(page.get_by_test_id("compare-errors")).to_contain_text("shared structure")
    expect(page.get_by_test_id("compare-totals")).to_be_visible()
    expect(page.get_by_test_id("attribution")).to_have_count(0)
    check_axe(page)

    # a forged start changes nothing
    refused = page.request.post(f"{service.url}/scenarios/{a_id}/compare/{b_id}", form={"csrf": "forged"})
    assert refused.status == 403

    page.get_by_test_id("sign-out").click()
    sign_in(page, service, "south-board")
    response = page.goto(f"{service.url}/scenarios/{a_id}/compare/{b_id}")
    assert response is not None and response.status == 404
    expect(page.get_by_test_id("compare-errors")).to_be_visible()
    check_axe(page)
    status, _ = api(service, "GET", f"/v1/scenarios/{a_id}/compare/{b_id}", service.keys["south-board"])
    assert status == 404


def test_a_long_comparison_runs_as_a_job_with_progress(page: Page, job_service: Service) -> None:
    """With 1,000 cells answered at once, comparing the borough's versions (8 solves of 4,425 cells: 295 areas x 5
    services x 3 years) is a job; the page follows it (refreshing itself) to the same report as the in-process comparison."""
    sign_in(page, job_service)
    a_id = upload(page, job_service, TIGHT)
    b_id = changed_version(page)
    page.goto(f"{job_service.url}/scenarios/{b_id}")
    page.get_by_test_id("history").locator(f"tr[data-version='{a_id}']").get_by_test_id("compare-with").click()
    check_axe(page)
    page.get_by_test_id("start-compare").click()
    expect(page).to_have_url(re.compile(rf"/scenarios/{a_id}/compare/{b_id}\?job=job_"))
    expect(page.get_by_test_id("attribution")).to_be_visible(timeout=120_000)
    check_report(page, in_process(job_service, a_id, b_id))
    check_axe(page)


def test_a_long_comparison_without_scripts(browser: Browser, job_service: Service) -> None:
    """Without JavaScript the job page does not refresh itself: its Refresh link reaches the report."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, job_service)
        a_id = upload(page, job_service, TIGHT)
        b_id = changed_version(page)
        page.goto(f"{job_service.url}/scenarios/{a_id}/compare/{b_id}")
        page.get_by_test_id("start-compare").click()
        for _ in range(120):
            if page.get_by_test_id("attribution").count():
                break
            expect(page.get_by_test_id("job")).to_be_visible()
            page.wait_for_timeout(1000)
            page.get_by_test_id("job-refresh").click()
        check_report(page, in_process(job_service, a_id, b_id))
    finally:
        context.close()


def test_compare_with_the_keyboard_alone(page: Page, service: Service) -> None:
    sign_in(page, service)
    a_id = upload(page, service, TIGHT)
    b_id = changed_version(page)
    page.goto(f"{service.url}/scenarios/{b_id}")
    _tab_to(page, "compare-with", limit=200)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/scenarios/{a_id}/compare/{b_id}$"))
    expect(page.get_by_test_id("attribution")).to_be_visible()


def test_the_comparison_works_at_320_pixels(page: Page, service: Service) -> None:
    page.set_viewport_size({"width": 320, "height": 900})
    sign_in(page, service)
    a_id = upload(page, service, TIGHT)
    b_id = changed_version(page)
    widths = {"history": page.evaluate("document.documentElement.scrollWidth")}
    page.goto(f"{service.url}/scenarios/{a_id}/compare/{b_id}")
    expect(page.get_by_test_id("attribution")).to_be_visible()
    expect(page.locator("body[data-charts=drawn]")).to_be_attached(timeout=20_000)
    widths["comparison"] = page.evaluate("document.documentElement.scrollWidth")
    assert all(w <= 320 for w in widths.values()), widths
    check_axe(page)


def test_compare_any_two_versions_of_the_lineage(page: Page, service: Service) -> None:
    """C is made from B, B from A: C's history lists both, and its form compares A with B (neither of them C)."""
    sign_in(page, service)
    a_id = upload(page, service, TIGHT)
    b_id = changed_version(page)
    c_id = changed_version(page)
    history = page.get_by_test_id("history")
    expect(history.locator(f"tr[data-version='{b_id}']")).to_contain_text("made from")
    expect(history.locator(f"tr[data-version='{a_id}']")).to_contain_text("2 steps back")
    check_axe(page)
    page.get_by_test_id("compare-a").select_option(a_id)
    page.get_by_test_id("compare-b").select_option(b_id)
    page.get_by_test_id("compare-two").click()
    expect(page).to_have_url(re.compile(rf"/scenarios/{a_id}/compare/{b_id}$"))
    check_report(page, in_process(service, a_id, b_id))
    assert c_id not in page.url
