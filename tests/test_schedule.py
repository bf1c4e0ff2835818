"""What is due, as pure functions of the briefing and a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from briefings.cron import check_cron
from briefings.deliver.schedule import in_words, latest_slot, next_slots
from briefings.model import Briefing


def briefing(schedule: str | None, timezone: str = "Europe/London") -> Briefing:
    return Briefing(id="b", title="T", bluf="B", tlp="clear", actors=["a"],
                    schedule=schedule, timezone=timezone)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_latest_slot_at_or_before_now_in_the_briefings_zone():
    weekly = briefing("0 7 * * 1")  # Mondays 07:00 London
    assert latest_slot(weekly, at("2025-04-07T06:00:00+00:00")).key == "2025-04-07T07:00"
    assert latest_slot(weekly, at("2025-04-07T05:59:59+00:00")).key == "2025-03-31T07:00"
    assert latest_slot(weekly, at("2025-04-09T12:00:00+00:00")).date == "2025-04-07"


def test_the_edition_is_dated_by_the_slots_local_date():
    tokyo = briefing("30 6 * * *", "Asia/Tokyo")
    slot = latest_slot(tokyo, at("2025-04-08T22:00:00+00:00"))  # 07:00 on the 9th in Tokyo
    assert slot.date == "2025-04-09"
    assert slot.instant == datetime(2025, 4, 8, 21, 30, tzinfo=UTC)


def test_unscheduled_briefings_have_no_slot():
    assert latest_slot(briefing(None), at("2025-04-07T06:00:00+00:00")) is None
    assert next_slots(briefing(None), at("2025-04-07T06:00:00+00:00")) == []


def daily_slots(schedule: str, start: str, hours: int) -> list[str]:
    """Every distinct slot a run every 5 minutes would see over ``hours``."""
    daily = briefing(schedule)
    moment, seen = at(start), []
    for _ in range(hours * 12):
        key = latest_slot(daily, moment).key
        if key not in seen:
            seen.append(key)
        moment += timedelta(minutes=5)
    return seen


@pytest.mark.parametrize("schedule", ["30 1 * * *", "0 1 * * *", "59 1 * * *"])
def test_spring_forward_a_slot_in_the_skipped_hour_still_runs_once(schedule):
    # 30 March 2025: London clocks jump from 01:00 GMT to 02:00 BST.
    seen = daily_slots(schedule, "2025-03-29T12:00:00+00:00", 48)
    assert [s[:10] for s in seen] == ["2025-03-29", "2025-03-30", "2025-03-31"]


def test_fall_back_a_slot_in_the_repeated_hour_runs_once():
    # 26 October 2025: London clocks go back from 02:00 BST to 01:00 GMT; 01:30 happens twice.
    seen = daily_slots("30 1 * * *", "2025-10-25T12:00:00+00:00", 48)
    assert [s[:10] for s in seen] == ["2025-10-25", "2025-10-26", "2025-10-27"]
    first = latest_slot(briefing("30 1 * * *"), at("2025-10-26T00:31:00+00:00"))
    second = latest_slot(briefing("30 1 * * *"), at("2025-10-26T01:31:00+00:00"))
    assert first.key == second.key == "2025-10-26T01:30"


def test_skipped_slot_is_due_from_the_jump():
    slot = latest_slot(briefing("30 1 * * *"), at("2025-03-30T01:00:00+00:00"))
    assert slot.key == "2025-03-30T01:30"
    assert slot.instant == datetime(2025, 3, 30, 1, 0, tzinfo=UTC)


def test_next_three_runs_and_words():
    runs = next_slots(briefing("0 6 * * 1"), at("2024-03-29T12:00:00+00:00"))
    assert [r.instant.isoformat() for r in runs] == [
        "2024-04-01T06:00:00+01:00", "2024-04-08T06:00:00+01:00", "2024-04-15T06:00:00+01:00"]
    assert in_words("0 6 * * 1") == "At 06:00, only on Monday"


@pytest.mark.parametrize(
    ("cron", "field", "allowed"),
    [
        ("60 7 * * 1", "minute", "0-59"),
        ("0 7-25 * * 1", "hour", "0-23"),
        ("0 7 32 * *", "day of month", "1-31"),
        ("0 7 1 0 *", "month", "1-12 or jan-dec"),
        ("0 7 * * funday", "day of week", "0-7 or sun-sat"),
        ("*/0 7 * * *", "minute", "0-59"),
    ],
)
def test_a_bad_field_is_named_with_what_it_allows(cron, field, allowed):
    with pytest.raises(ValueError, match=f"cron {field} field") as raised:
        check_cron(cron)
    assert f"it allows {allowed}" in str(raised.value)


@pytest.mark.parametrize("cron", ["0 0 30 2 *", "0 0 31 2,4 *", "15 6 31 11 *"])
def test_a_schedule_that_never_fires_is_refused(cron):
    with pytest.raises(ValueError, match=r"never fires: day of month 3[01] or later does not"):
        check_cron(cron)
    with pytest.raises(ValidationError, match="never fires"):
        briefing(cron)


@pytest.mark.parametrize("cron", ["0 0 29 2 *", "0 0 31 * *", "0 0 30 2 1", "0 0 L 2 *"])
def test_rare_schedules_that_do_fire_are_kept_and_have_slots(cron):
    rare = briefing(cron)
    assert latest_slot(rare, at("2025-04-07T06:00:00+00:00")) is not None
    assert len(next_slots(rare, at("2025-04-07T06:00:00+00:00"))) == 3
    assert in_words(cron)


@pytest.mark.parametrize(("option", "value"), [("--now", "9999-12-31T23:59:59+00:00"),
                                               ("--now", "0001-01-01T00:00Z")])
def test_a_clock_out_of_range_is_a_clean_error(option, value):
    from click.testing import CliRunner
    from conftest import SAMPLE

    from briefings.cli.main import cli

    result = CliRunner().invoke(cli, ["schedule", "--seeds", str(SAMPLE), option, value])
    assert result.exit_code == 2
    assert "is out of range: dates run from 1000 to 2999" in result.output
    assert not isinstance(result.exception, OverflowError)
