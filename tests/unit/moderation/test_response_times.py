from __future__ import annotations

from datetime import UTC, datetime, timedelta

from parley.domain.moderation.queries import monthly_stats, percentile

T0 = datetime(2026, 10, 1, tzinfo=UTC)


def test_percentiles_use_nearest_rank_and_the_median_of_an_even_count() -> None:
    assert percentile([], 0.5) is None
    assert percentile([4.0, 1.0, 3.0], 0.5) == 3.0
    assert percentile([1.0, 2.0, 3.0, 10.0], 0.5) == 2.5
    assert percentile([float(h) for h in range(1, 11)], 0.9) == 9.0


def test_monthly_stats_count_reports_actions_and_response_hours() -> None:
    hours = [1, 2, 3, 30]
    reports: list[tuple[datetime, datetime | None]] = [
        (T0 + timedelta(days=i), T0 + timedelta(days=i, hours=h)) for i, h in
               enumerate(hours)]  # fmt: skip
    reports.append((T0 + timedelta(days=5), None))  # still open: counted, no response time
    reports.append((datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 2, 12, tzinfo=UTC)))
    actions = [T0, T0 + timedelta(days=1), datetime(2026, 11, 3, tzinfo=UTC)]
    november, october = monthly_stats(reports, actions)
    assert (october.month, october.reports, october.actions) == ("2026-10", 5, 2)
    assert (october.median_response_hours, october.p90_response_hours) == (2.5, 30.0)
    assert (november.month, november.reports, november.median_response_hours) == (
        "2026-11",
        1,
        12.0,
    )
