"""The retail calendar of the sample company: seasonality and a time change.

Purchases follow a Poisson process in *promotion-adjusted* time: a day with
multiplier 4 (the 618 peak) holds four ordinary days' worth of purchasing.
Sampling uniformly in that operational time and mapping back to the calendar
plants the 618 and Double 11 peaks, the Spring Festival dip and the weekly
rhythm, while keeping the buy-till-you-die model exact in operational time.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

START = np.datetime64("2023-01-01")
END = np.datetime64("2026-01-01")  # exclusive: the data covers 2023-2025
SPRING_FESTIVAL = np.array(["2023-01-22", "2024-02-10", "2025-01-29"], dtype="datetime64[D]")
WEEKDAY = np.array([0.92, 0.92, 0.95, 0.97, 1.05, 1.12, 1.07])  # Monday first
# Share of a day's orders in each hour, evenings busiest.
HOURS = np.array([3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 8, 8, 9, 8, 8, 8, 8, 8, 9, 11, 13, 13, 10, 6], float)
HOURS /= HOURS.sum()


def season_multiplier(days: np.ndarray) -> np.ndarray:
    """Demand multiplier for each calendar day (datetime64[D]); mean 1 over the data period."""
    days = np.asarray(days, dtype="datetime64[D]")
    m = WEEKDAY[(days.astype(np.int64) + 3) % 7].copy()  # 1970-01-01 was a Thursday
    january = days.astype("datetime64[Y]").astype("datetime64[M]")

    def on(month, day):  # that date in each day's own year
        return (january + (month - 1)).astype("datetime64[D]") + (day - 1)

    for month, first, last, peak, ramp in ((6, 1, 18, 4.0, 1.5), (11, 1, 11, 6.0, 1.6)):
        lo, hi = on(month, first), on(month, last)
        m = np.where((days >= lo) & (days < hi), m * ramp, m)
        m = np.where(days == hi, m * peak, m)  # 618 / Double 11 day itself
    m = np.where(days == on(12, 12), m * 2.0, m)  # Double 12
    for sf in SPRING_FESTIVAL:
        offset = (days - sf).astype(int)
        m = np.where((offset >= -20) & (offset < -3), m * 1.25, m)  # 年货节 shopping
        m = np.where((offset >= -3) & (offset <= 6), m * 0.35, m)  # the holiday dip
    return m


class Clock:
    """Maps calendar time (days since START, float) to operational weeks and back."""

    def __init__(self):
        self.days = np.arange(START, END, dtype="datetime64[D]")
        s = season_multiplier(self.days)
        self.rate = s / s.mean()
        self.cum = np.concatenate([[0.0], np.cumsum(self.rate)])  # operational days at day starts
        self.n_days = len(self.days)

    def to_op(self, t):
        """Calendar days since START -> operational weeks."""
        t = np.clip(np.asarray(t, float), 0, self.n_days)
        i = np.minimum(t.astype(np.int64), self.n_days - 1)
        return (self.cum[i] + self.rate[i] * (t - i)) / 7.0

    def from_op(self, w):
        """Operational weeks -> calendar days since START."""
        u = np.asarray(w, float) * 7.0
        i = np.clip(np.searchsorted(self.cum, u, side="right") - 1, 0, self.n_days - 1)
        return i + (u - self.cum[i]) / self.rate[i]

    @property
    def end_op(self):
        return self.cum[-1] / 7.0

    def day_of(self, date: str) -> int:
        return int((np.datetime64(date, "D") - START).astype(int))


def with_hour(rng, t):
    """Keep the calendar day of ``t`` and draw the time of day from the hourly profile."""
    hour = rng.choice(24, size=np.shape(t), p=HOURS)
    return np.floor(t) + (hour + rng.random(np.shape(t))) / 24.0


def to_timestamps(t) -> np.ndarray:
    """Days since START (float) -> datetime64[s]."""
    return START.astype("datetime64[s]") + np.round(np.asarray(t) * 86400).astype("timedelta64[s]")


def to_timestamps_or_nat(t) -> pd.DatetimeIndex:
    """Like :func:`to_timestamps`, with NaN (no such event) as NaT."""
    return pd.to_datetime(np.where(np.isnan(t), np.datetime64("NaT"), to_timestamps(np.nan_to_num(t))))
