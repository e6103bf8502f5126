"""The anomaly method on its own: robust score over a daily series, and the bucket grid."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from aigov.config import AnomalySettings
from aigov.live.anomaly import NotJudged, daily_values, judge
from aigov.model import SeriesEvidence

SETTINGS = AnomalySettings()
START = datetime(2026, 5, 3, 6, 0, tzinfo=UTC)
END = START + timedelta(days=30)


def days(values: list[float]) -> list[tuple[date, float]]:
    return [(date(2026, 5, 3) + timedelta(days=i), v) for i, v in enumerate(values)]


def test_a_steady_series_is_not_anomalous() -> None:
    verdict = judge("requests", days([1000.0] * 30), SETTINGS)
    assert isinstance(verdict, SeriesEvidence)
    assert not verdict.anomalous
    assert verdict.score == 0


def test_a_tenfold_day_is_anomalous() -> None:
    verdict = judge("requests", days([1000.0] * 29 + [10_000.0]), SETTINGS)
    assert isinstance(verdict, SeriesEvidence)
    assert verdict.anomalous
    assert verdict.median == 1000
    assert verdict.baseline_days == 28
    assert verdict.recent == (days([0.0] * 29 + [10_000.0])[-1],)


def test_everyday_noise_is_not_anomalous_but_a_spike_within_it_is() -> None:
    noise = [870.0, 1510.0, 1005.0, 990.0, 1240.0, 1200.0, 980.0, 1430.0, 1100.0, 1320.0] * 3
    calm = judge("requests", days([*noise[:29], 1500.0]), SETTINGS)
    assert isinstance(calm, SeriesEvidence)
    assert not calm.anomalous
    spike = judge("requests", days([*noise[:29], 11_000.0]), SETTINGS)
    assert isinstance(spike, SeriesEvidence)
    assert spike.anomalous


def test_a_quiet_deployment_waking_up_a_little_is_noise() -> None:
    verdict = judge("requests", days([0.0] * 27 + [14.0, 3.0, 22.0]), SETTINGS)
    assert isinstance(verdict, SeriesEvidence)
    assert not verdict.anomalous


def test_the_ratio_guard_needs_a_real_multiple() -> None:
    # A tight series (MAD 5) rising 30 %: many deviations away, but not twice the median.
    verdict = judge("requests", days([1000.0, 1010.0, 990.0] * 10 + [1300.0]), SETTINGS)
    assert isinstance(verdict, SeriesEvidence)
    assert verdict.score >= SETTINGS.threshold
    assert not verdict.anomalous


def test_too_little_history_is_not_judged() -> None:
    verdict = judge("requests", days([1000.0] * 10 + [10_000.0]), SETTINGS)
    assert verdict == NotJudged("requests", 10, 14)


def test_the_recent_days_are_judged_by_their_mean() -> None:
    settings = AnomalySettings(recent_days=3)
    verdict = judge("requests", days([1000.0] * 27 + [1000.0, 1000.0, 10_000.0]), settings)
    assert isinstance(verdict, SeriesEvidence)
    assert len(verdict.recent) == 3
    assert verdict.anomalous  # mean 4,000: four times the median


def test_daily_values_fill_missing_days_and_drop_days_before_creation() -> None:
    points = [(START + timedelta(days=2), 5.0), (START + timedelta(days=29), 7.0)]
    values = daily_values(points, start=START, end=END)
    assert len(values) == 30
    assert values[2] == ((START + timedelta(days=2)).date(), 5.0)
    assert values[1][1] == 0.0
    assert values[-1][1] == 7.0
    trimmed = daily_values(points, start=START, end=END, since=START + timedelta(days=20))
    assert len(trimmed) == 10
    assert trimmed[-1][1] == 7.0
