"""The headline message of a result says why a plan is empty: nothing worth funding, or a limit that stopped the search."""

from optimizer.solve import _message


def test_an_empty_optimal_plan_says_nothing_is_worth_funding() -> None:
    assert _message("optimal", 0.0, {"total_spending": 0.0}).startswith("Nothing is worth funding")


def test_an_empty_plan_stopped_at_a_limit_does_not_claim_nothing_is_worth_funding() -> None:
    """HiGHS under load may stop at 1 s with only the zero plan: the limit is the reason, and the fix is named."""
    text = _message("feasible", 0.0, {"total_spending": 0.0})
    assert text.startswith("Stopped at a limit") and "solver.time_limit" in text


def test_a_plan_with_spending_reports_its_value() -> None:
    assert _message("feasible", 2_000.0, {"total_spending": 1_000.0}).startswith("Feasible (not proven optimal): £1,000")
