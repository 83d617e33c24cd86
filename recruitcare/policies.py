"""Build the pure rules' settings from app config, at the edge."""

from collections.abc import Mapping
from datetime import date
from zoneinfo import ZoneInfo

from recruitcare.domain.deadlines import PromisePolicy


def promise_policy(config: Mapping) -> PromisePolicy:
    return PromisePolicy(
        zone=ZoneInfo(config["ORG_TIMEZONE"]),
        holidays=[date.fromisoformat(day) for day in config["HOLIDAYS"]],
        warning_days=config["PROMISE_WARNING_DAYS"],
    )
