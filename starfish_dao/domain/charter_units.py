"""The charter file in people's units: durations ("7 days"), points as decimals (1.5), percentages
("10 %"), dates ("2027-06-30"). `to_raw` turns what `starfish init` writes, or a person typed, into
the contracts' units (seconds, minutes, 18-decimal points, basis points, unix time); the raw forms
of older files (604800, "1000000000000000000", 1000) are still read. A bad value raises ConfigError
naming its key, what was written and how to write it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from starfish_dao.domain.charter import BOUNDS, DAY, GOVERNOR_BOUNDS, HOUR, PARAMETER_KEYS, POINT
from starfish_dao.domain.errors import ConfigError

_UNITS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": HOUR, "hour": HOUR, "d": DAY, "day": DAY,
          "w": 7 * DAY, "week": 7 * DAY}  # fmt: skip
#: a whole number of points at least this large is an old file's raw 18-decimal amount: as points
#: it would be beyond every bound (the largest is 10^30 raw, 10^12 points)
RAW_POINTS_FROM = 10**15

#: Each key's kind: a duration in seconds or in minutes, points, basis points as a percentage, a number
#: of epochs, a count.
KINDS: dict[str, str] = {
    "epochLength": "seconds", "reviewWindow": "seconds", "minReviewers": "count", "halfLife": "epochs",
    "reserveBps": "bps", "maxEffort": "minutes", "maxEffortPerEpoch": "minutes", "minReviewerStanding": "points",
    "quorumBps": "bps", "reviewBudgetBps": "bps", "panelSize": "count",
    "reviewerBps": "bps", "hostReplicas": "count", "ttfbCeilingMs": "milliseconds", "hostMinStanding": "points",
    "hostingBps": "bps",
    "votingDelay": "seconds", "votingPeriod": "seconds", "proposalThreshold": "points", "quorumPercent": "percent",
    "timelockDelay": "seconds", "guardianExpiry": "date",
}  # fmt: skip
_HOW = {
    "seconds": 'a duration such as "7 days", "36 hours" or "90 minutes"',
    "minutes": 'a duration in whole minutes such as "40 hours" or "90 minutes"',
    "points": "points as a number such as 1 or 2.5",
    "bps": 'a percentage such as "10 %" (at most two decimals)',
    "percent": 'a whole percentage such as 20 or "20 %"',
    "count": "a whole number",
    "milliseconds": 'a duration such as "2 seconds" or "500 ms"',
    "epochs": 'a whole number of epochs such as "26 epochs" (0: no decay)',
    "date": 'a date such as "2027-06-30" (UTC), or 0 for none',
}


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?\s*[a-z]+)(\s*(?:,|and)?\s*\d+(?:\.\d+)?\s*[a-z]+)*\s*$")


def _seconds(text: str) -> int:
    """`7 days`, `1 day 12 hours`, `36h`, `90 minutes`: whole seconds."""
    text = text.lower()
    if not _DURATION.match(text):
        raise ValueError
    total = Decimal(0)
    for number, unit in re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]+)", text.replace("and", " ")):
        size = _UNITS.get(unit) or _UNITS.get(unit.removesuffix("s"))
        if size is None:
            raise ValueError
        total += Decimal(number) * size
    return _whole(total)


def _decimal(value: Any, suffixes: tuple[str, ...] = ()) -> Decimal:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, str):
        text = value.strip().replace(",", "").replace("_", "")
        for suffix in suffixes:
            text = text.removesuffix(suffix).strip()
        return Decimal(text)
    raise ValueError


def _whole(number: Decimal) -> int:
    if number != number.to_integral_value() or number < 0:
        raise ValueError
    return int(number)


def _convert(kind: str, value: Any) -> int:
    if kind in ("seconds", "minutes"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # the raw form: seconds, or minutes for the effort caps
        seconds = _seconds(str(value))
        return seconds if kind == "seconds" else _whole(Decimal(seconds) / 60)
    if kind == "milliseconds":
        if isinstance(value, str) and value.strip().lower().endswith("ms"):
            return _whole(_decimal(value.strip().lower(), ("ms",)))
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # the raw form: milliseconds
        return 1000 * _seconds(str(value))
    if kind == "points":
        number = _decimal(value, ("points", "point"))
        if number >= RAW_POINTS_FROM:
            return _whole(number)
        return _whole(number * POINT)
    if kind == "bps":
        if isinstance(value, str) and value.strip().endswith("%"):
            return _whole(_decimal(value, ("%",)) * 100)
        return _whole(_decimal(value))  # the raw form: basis points
    if kind == "percent":
        return _whole(_decimal(value, ("%",)))
    if kind == "epochs":
        return _whole(_decimal(value, ("epochs", "epoch")))
    if kind == "date":
        if value in (0, "", None):
            return 0
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, date | datetime | str):
            moment = value if isinstance(value, date | datetime) else datetime.fromisoformat(value.strip())
            if not isinstance(moment, datetime):
                moment = datetime(moment.year, moment.month, moment.day)
            return int((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())
        raise ValueError
    return _whole(_decimal(value))


def describe(kind: str, raw: int) -> str:
    """`raw` in people's units, as `init` writes it and errors show it."""
    if kind in ("seconds", "minutes"):
        return duration_text(raw * (60 if kind == "minutes" else 1))
    if kind == "milliseconds":
        return duration_text(raw // 1000) if raw % 1000 == 0 and raw else f"{raw:,} ms"
    if kind == "points":
        text = f"{raw // POINT:,}" if raw % POINT == 0 else _plain(Decimal(raw) / POINT)
        return f"{text} point" if text == "1" else f"{text} points"
    if kind == "bps":
        return _plain(Decimal(raw) / 100) + " %"
    if kind == "percent":
        return f"{raw} %"
    if kind == "epochs":
        return f"{raw:,} epoch" if raw == 1 else f"{raw:,} epochs"
    if kind == "date":
        return datetime.fromtimestamp(raw, UTC).date().isoformat() if raw else "none"
    return f"{raw:,}"


def _plain(number: Decimal) -> str:
    text = f"{number:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def duration_text(seconds: int) -> str:
    """`7 days`, `1 day`, `40 hours`, `90 minutes`, `45 seconds`: the largest unit that is exact."""
    for name, size in (("day", DAY), ("hour", HOUR), ("minute", 60), ("second", 1)):
        if seconds % size == 0 and (seconds or size == 1):
            count = seconds // size
            return f"{count:,} {name}{'' if count == 1 else 's'}"
    raise AssertionError  # unreachable: every whole number of seconds is exact in seconds


def toml_value(kind: str, raw: int) -> str:
    """The TOML text of a value in people's units."""
    if kind == "points":
        return _plain(Decimal(raw) / POINT) if raw % POINT == 0 else f'"{describe(kind, raw)}"'
    if kind == "count":
        return str(raw)
    if kind == "date" and raw == 0:
        return "0"
    return f'"{describe(kind, raw)}"'


def _bounds(section: str, key: str) -> tuple[int, int] | None:
    if section == "parameters" and key in PARAMETER_KEYS:
        return BOUNDS[PARAMETER_KEYS[key]]
    return GOVERNOR_BOUNDS.get(key)


def to_raw(section: str, values: dict[str, Any]) -> dict[str, Any]:
    """One section (`parameters` or `governor`) in the contracts' units; other keys pass through."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        kind = KINDS.get(key)
        if kind is None:
            if section == "parameters":
                raise ConfigError(f"charter file: [parameters] has no {key!r} (known: {', '.join(PARAMETER_KEYS)})")
            out[key] = value
            continue
        try:
            raw = _convert(kind, value)
        except (ValueError, InvalidOperation, TypeError, OverflowError):
            raise ConfigError(f"charter file: {section}.{key} = {value!r} is not {_HOW[kind]}") from None
        bounds = _bounds(section, key)
        if bounds is not None and not bounds[0] <= raw <= bounds[1]:
            low, high = (describe(kind, b) for b in bounds)
            raise ConfigError(f"charter file: {section}.{key} = {value!r} is outside its bounds {low} .. {high}")
        out[key] = raw
    return out


def setting_value(key: str, text: str) -> int:
    """A governor setting as a person types it for a proposal ("2 days", "25 %", 2 points; a bare
    whole number is seconds for durations, points for points), in the contracts' units: else
    ConfigError saying how to write it. Its bounds are checked on-chain."""
    kind = KINDS[key]
    value: Any = text.strip()
    if re.fullmatch(r"\d+", value):
        value = int(value)
    try:
        return _convert(kind, value)
    except (ValueError, InvalidOperation, TypeError, OverflowError):
        raise ConfigError(f"{key} = {text!r} is not {_HOW[kind]}") from None


def parameter_value(key: str, text: str) -> int:
    """A charter parameter's new value as a person types it for a proposal ("4 days", "5 %", 2.5
    points; a bare whole number is the contracts' unit for durations and shares, points for
    points), in the contracts' units, within its bounds: else ConfigError naming the parameter,
    what was typed, how to write it and its bounds in people's units."""
    kind = KINDS[key]
    value: Any = text.strip()
    if re.fullmatch(r"\d+", value):
        value = int(value)
    try:
        raw = _convert(kind, value)
    except (ValueError, InvalidOperation, TypeError, OverflowError):
        raise ConfigError(f"{key} = {text!r} is not {_HOW[kind]}") from None
    bounds = _bounds("parameters", key)
    if bounds is not None and not bounds[0] <= raw <= bounds[1]:
        low, high = (describe(kind, b) for b in bounds)
        raise ConfigError(f"{key} = {text!r} is {describe(kind, raw)}: outside its bounds {low} .. {high}")
    return raw
