"""Numbers for people, one rule everywhere (CLI, HTML report; the page's `units()` does the same):
amounts rounded down to at most 6 decimals, times as local dates."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_DOWN, Decimal


def amount(base_units: int, decimals: int = 18, digits: int = 6) -> str:
    """`1,234.5`: a token amount in whole units with thousands separators, rounded down (never
    showing more than is there) to at most `digits` decimals, trailing zeros dropped."""
    whole = Decimal(int(base_units)) / Decimal(10**decimals)
    text = f"{whole.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_DOWN):,f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def token_amount(base_units: int, symbol: str, decimals: int | None) -> str:
    """`3.75 TUSD` in the token's own decimals (as `amount` rounds); `3,750,000 base units of 0xAbCd…`
    when its decimals are not known: never a guess (18 would misstate a 6-decimal token 10^12 times)."""
    if decimals is None:
        return f"{int(base_units):,} base units of {symbol}"
    return f"{amount(base_units, decimals)} {symbol}"


def points(raw: int) -> str:
    """`133.333333 points`, `1 point`: points (18 decimals) as `amount` says them, rounded down."""
    text = amount(raw)
    return f"{text} point" if text == "1" else f"{text} points"


def local_time(timestamp: int) -> str:
    """`2026-12-06 21:30 CET`: a unix time as a date and time in this machine's time zone."""
    return datetime.fromtimestamp(int(timestamp)).astimezone().strftime("%Y-%m-%d %H:%M %Z")
