"""Build the pure rules' settings from app config, at the edge."""

from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from recruitcare.domain.deadlines import PromisePolicy
from recruitcare.domain.sweep import DutyToInformPolicy, SweepLimits, duty_to_inform_policy


def promise_policy(config: Mapping) -> PromisePolicy:
    return PromisePolicy(
        zone=ZoneInfo(config["ORG_TIMEZONE"]),
        holidays=[date.fromisoformat(day) for day in config["HOLIDAYS"]],
        warning_days=config["PROMISE_WARNING_DAYS"],
    )


def sweep_limits(config: Mapping) -> SweepLimits:
    return SweepLimits(
        scorecard_reminder_days=config["SCORECARD_REMINDER_DAYS"],
        scorecard_reminder_window_days=config["SCORECARD_REMINDER_WINDOW_DAYS"],
        warning_days=config["PROMISE_WARNING_DAYS"],
        max_extensions=config["MAX_PROMISE_EXTENSIONS"],
        extension_days=config["INTERIM_EXTENSION_DAYS"],
        overdue_notice_days=config["OVERDUE_NOTICE_DAYS"],
        digest_hour=config["DIGEST_HOUR"],
    )


def duty_policy(config: Mapping) -> DutyToInformPolicy | None:
    return duty_to_inform_policy(config["DUTY_TO_INFORM_POLICY"])
