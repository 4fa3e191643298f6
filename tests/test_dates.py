from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from xinwen.dates import parse_date
from xinwen.errors import DateError, ReadError

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Apr 14, 2024 02:15 AM", "2024-04-14T02:15:00+08:00"),
        ("Apr 14, 2024 02:15 PM", "2024-04-14T14:15:00+08:00"),
        ("Apr 14, 2024 12:15 AM", "2024-04-14T00:15:00+08:00"),
        ("April 14, 2024", "2024-04-14T00:00:00+08:00"),
        ("Sept 5, 2024", "2024-09-05T00:00:00+08:00"),
        ("14 April 2024", "2024-04-14T00:00:00+08:00"),
        ("2023年7月6日", "2023-07-06T00:00:00+08:00"),
        ("2023年7月6日 14:30", "2023-07-06T14:30:00+08:00"),
        ("2023年07月06日14:30:05", "2023-07-06T14:30:05+08:00"),
        ("2023年7月6日 14时30分", "2023-07-06T14:30:00+08:00"),
        ("2023年7月6日 下午2:30", "2023-07-06T14:30:00+08:00"),
        ("2024年4月14日(星期日) 10:00", "2024-04-14T10:00:00+08:00"),
        ("2024-04-14 02:15", "2024-04-14T02:15:00+08:00"),
        ("2024-04-14T02:15:00", "2024-04-14T02:15:00+08:00"),
        ("2024-04-14", "2024-04-14T00:00:00+08:00"),
        ("2024-4-14 2:15:09", "2024-04-14T02:15:09+08:00"),
        ("2024/4/14", "2024-04-14T00:00:00+08:00"),
        ("2024.4.14", "2024-04-14T00:00:00+08:00"),
        ("20240414", "2024-04-14T00:00:00+08:00"),
        ("20240414T021500", "2024-04-14T02:15:00+08:00"),
        ("2024-04-14T02:15:00+08:00", "2024-04-14T02:15:00+08:00"),
        ("2024-04-14T02:15:00.250+08:00", "2024-04-14T02:15:00.250000+08:00"),
        ("2024-04-14T02:15:00Z", "2024-04-14T02:15:00+00:00"),
        ("2024-04-14 02:15:00 +0800", "2024-04-14T02:15:00+08:00"),
        ("Sun, 14 Apr 2024 02:15:00 GMT", "2024-04-14T02:15:00+00:00"),
        ("Sun, 14 Apr 2024 02:15:00 +0800", "2024-04-14T02:15:00+08:00"),
        ("Sun, 14 Apr 2024 02:15:00 EST", "2024-04-14T02:15:00-05:00"),
        ("1713032100", "2024-04-14T02:15:00+08:00"),
        ("1713032100000", "2024-04-14T02:15:00+08:00"),
        ("  2024-04-14 02:15\n", "2024-04-14T02:15:00+08:00"),
        ("２０２４－０４－１４　０２：１５", "2024-04-14T02:15:00+08:00"),
        ("２０２３年７月６日", "2023-07-06T00:00:00+08:00"),
        ("发布时间：2024-04-14 02:15", "2024-04-14T02:15:00+08:00"),
    ],
)
def test_formats(text: str, expected: str) -> None:
    d = parse_date(text)
    assert d.tzinfo is not None
    assert d.isoformat() == expected


def test_naive_times_are_shanghai() -> None:
    d = parse_date("2024-04-14 02:15")
    assert d.tzinfo == SH
    assert d == datetime(2024, 4, 13, 18, 15, tzinfo=UTC)


def test_default_tz() -> None:
    d = parse_date("2024-04-14 02:15", default_tz="UTC")
    assert d.utcoffset() == timedelta(0)
    # a printed zone wins over the default
    assert parse_date("2024-04-14T02:15:00+08:00", default_tz="UTC").utcoffset() == timedelta(hours=8)


def test_epoch_numbers() -> None:
    assert parse_date(1713032100) == parse_date("1713032100")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text, words",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("yesterday", "cannot read date 'yesterday'"),
        ("2小时前", "cannot read date"),
        ("7月6日", "cannot read date"),
        ("2024-13-01", "month must be in 1..12"),
        ("2024-02-30", "day is out of range"),
        ("2024年13月45日", "not a valid date"),
        ("Foo 14, 2024", "unknown month 'foo'"),
        ("Apr 14, 2024 13:15 PM", "hour 13 with PM"),
    ],
)
def test_bad_dates(text: str, words: str) -> None:
    with pytest.raises(DateError) as info:
        parse_date(text)
    assert words in str(info.value)
    assert isinstance(info.value, ReadError)


def test_not_a_string() -> None:
    with pytest.raises(DateError):
        parse_date(None)  # type: ignore[arg-type]


def test_iso_is_fast() -> None:
    import time

    start = time.perf_counter()
    for _ in range(20000):
        parse_date("2024-04-14")
    assert time.perf_counter() - start < 1.0
