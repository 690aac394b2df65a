"""The statistics aggregate: what the supervisors' dashboard counts, per day a report came in.

Counting a million reports on every view of the statistics page costs seconds; these rows hold
the same counts per received day (stored UTC), so the page adds up a few hundred rows per
month shown. `triage.services.stats_aggregate` rebuilds the days whose reports, leads or
transfers changed; `StatsRefresh` says when it last did. Nothing here identifies a reporter:
only counts per day, status, channel, category and agency.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

ALL_AGENCIES = ""  # the scope of every report, with or without a lead


class StatsDay(Base):
    """How many reports received on `day` have `key` as their `measure` (status, channel, area,
    category, lead agency, or `due`: the day an unfinished transfer of theirs falls due), among
    all reports (scope "") or those whose lead has one lead agency (scope: that agency)."""

    __tablename__ = "stats_days"

    # Key order: the page reads one scope and one measure over a range of days.
    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    measure: Mapped[str] = mapped_column(String(10), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<StatsDay {self.scope or '*'} {self.day} {self.measure}={self.key}: {self.count}>"


class StatsRefresh(Base):
    """The one row saying until when changes are counted in the aggregate."""

    __tablename__ = "stats_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime)
    last_report_id: Mapped[int] = mapped_column(Integer)  # the newest report counted then

    def __repr__(self) -> str:
        return f"<StatsRefresh {self.refreshed_at}>"
