"""Event dates read from a story's text (xinwen.analysis.eventdate) and republished stories flagged.

The unit tests use sentences written for them in the corpora's styles (datelines, 今天（5月15日）, X日,
full-width digits, vague leads, side dates); the real-data tests measure the hand-read file and the planted
republications through xinwen.evaluation.dates, and skip when ../shared is absent."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from xinwen.analysis.eventdate import (
    EVENT_AFTER_DAYS,
    FIRST_PRINTING_AFTER_DAYS,
    EventDate,
    event_date,
    is_republished,
    republication,
)

D = date.fromisoformat


def when(body: str, published: str | None, title: str = "标题") -> str | None:
    found = event_date(title, body, D(published) if published else None)
    return found.date.isoformat() if found else None


# -- how dates are stated ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "published", "expected"),
    [
        # datelines, with ASCII and full-width digits, a year, 讯 and 消息
        ("新华社北京6月1日电（记者 张三）国务院总理李强在人民大会堂会见了来访的客人。", "2023-06-02", "2023-06-01"),
        ("中新网杭州６月１９日电　浙江省举行防汛演练，检验各部门应急能力。", "2012-06-20", "2012-06-19"),
        ("２０１２年７月１８日北京讯　一部公益短片在京发布。", "2012-07-19", "2012-07-18"),
        ("中广网遂川６月１３日消息（记者胡啸）６月１１日，遂川县公安局抓获４名嫌疑人。", "2012-06-13", "2012-06-11"),
        # the lead's own date after a dateline, and a relative day read against the dateline's date
        ("新华社北京3月2日电 记者昨天从教育部获悉，今年将新增一批学校。", "2024-03-03", "2024-03-01"),
        # relative days
        ("记者今天从交通运输部了解到，全国客运量保持增长。", "2025-10-03", "2025-10-03"),
        ("昨天，武汉一处工业园发生火灾，无人伤亡。", "2013-03-09", "2013-03-08"),
        ("昨晚，一场音乐会在体育场举行。", "2013-03-09", "2013-03-08"),
        ("前天上午，公共自行车系统正式启动试运营。", "2012-06-18", "2012-06-16"),
        ("明天（10月1日）出版的《人民日报》将发表社论。", "2022-09-30", "2022-10-01"),
        ("今天（5月15日）出版的第10期《求是》杂志发表文章。", "2023-05-15", "2023-05-15"),
        ("当地时间今天（8月30日）凌晨，舰队在黑海举行演习。", "2023-08-30", "2023-08-30"),
        ("截至今天（1月16日）17时，全国发送旅客超千万人次。", "2025-01-16", "2025-01-16"),
        # a day of the month alone: this month, or the month before when it is after the publish day
        ("国务院总理李强27日在京会见新加坡总理。", "2024-06-28", "2024-06-27"),
        ("国务院总理李强29日在京会见新加坡总理。", "2024-03-02", "2024-02-29"),
        ("当地时间11日，联合国大会通过一项决议。", "2022-11-12", "2022-11-11"),
        ("以色列国防军30日称，打击了多个目标。", "2024-10-31", "2024-10-30"),
        # a month and day: the publish year, or last year when it would lie months ahead
        ("7月6日举行的区委全会审议通过了实施意见。", "2024-04-14", "2023-07-06"),
        ("12月30日，全国铁路新线开通运营。", "2024-01-02", "2023-12-30"),
        ("5月24日23时08分，载人飞船发射升空。", "2026-05-25", "2026-05-24"),
        # full dates, Chinese numerals, 号, without a publish date
        ("2010年4月24日，一支高尔夫球队在湖州举行比赛。", None, "2010-04-24"),
        ("二〇一二年六月一日，儿童节活动在全国举行。", None, "2012-06-01"),
        ("2008年九月九号清晨，我的父亲住进了医院。", None, "2008-09-09"),
        ("于2009年5月17日在郑州市顺利闭幕的比赛吸引了众多玩家。", None, "2009-05-17"),
        # a labelled date in an event notice whose lead is vague
        ("活动从6月中旬持续到11月。\n时间：\n2009年6月25日上午11:00\n地点：北京展览馆", None, "2009-06-25"),
    ],
)
def test_stated_dates(body: str, published: str | None, expected: str) -> None:
    assert when(body, published) == expected


# -- where the story states no day, or none that can be placed ---------------------------------------------
@pytest.mark.parametrize(
    ("body", "published"),
    [
        ("近日，三部委联合印发通知，规范车载音视频管理。", "2023-09-16"),
        ("国务院日前印发通知，决定开展全国经济普查。", "2022-12-01"),
        ("延迟退休问题近期引发关注，专家建议分步实施。", "2012-07-16"),
        ("今年以来，我国服务业持续恢复，消费市场回暖。", "2023-10-28"),
        ("上半年，全市新增高新技术企业243家。", "2023-07-20"),
        ("上周，仅有3家企业进入候审队伍。", "2012-06-11"),
        ("7月初，研究所所长提出逐步延长退休年龄。", "2012-07-16"),
        ("长江是中华民族的母亲河。十年来，沿江省市共抓大保护。", "2022-09-24"),
        # a relative day or a month and day without a publish date cannot be placed
        ("公司今天公布了中期业绩。", None),
        ("7月31日下午，国奥队的训练再度受到大雨干扰。", None),
        # only side dates: a deadline, a plan, a rule taking effect, a move-in date
        ("本期兑奖截止日为2008年10月26日，逾期作弃奖处理。", None),
        ("备受关注的条例日前正式立法，并将于9月1日起实施。", "2012-06-21"),
        ("习近平将于12月12日至13日对越南进行国事访问。", "2023-12-07"),
        ("该楼盘预计5月开盘，2009年12月31日入住。", None),
        # years counted since a date of long ago: history, not the news
        ("2019年5月7日，总书记在全国公安工作会议上发表重要讲话。五年来，全国公安机关奋力推进工作。", "2024-05-29"),
    ],
)
def test_abstains(body: str, published: str | None) -> None:
    assert when(body, published) is None


# -- the main event rather than a side date ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("body", "published", "expected"),
    [
        # a deadline or last year's accident further on does not date the story
        ("6月1日，新规发布会在京举行。去年7月23日发生的事故仍在调查，整改须在6月30日前完成。", "2012-06-02",
         "2012-06-01"),
        # a period since a date, then the news
        ("神舟乘组自4月26日进驻空间站以来状态良好。14日，航天员完成出舱活动。", "2024-06-15", "2024-06-14"),
        # a statement's date gives way to the event it reports
        ("伊拉克联合行动指挥部6日发表声明说，一处空军基地5日晚遭到袭击。", "2024-08-06", "2024-08-05"),
        ("新华网温哥华６月８日电　据加拿大媒体８日报道，艾伯塔省７日晚发生一起石油管道泄漏事故。", "2012-06-09",
         "2012-06-07"),
        # history, then the news
        ("1987年9月14日，我国发出首封电子邮件。2009年1月6日上午，首届网民文化节在北京举行。", None, "2009-01-06"),
        ("2023年4月1日，保护法正式实施，今天（4月1日）是施行一周年。", "2024-04-01", "2024-04-01"),
        # 今年 of a day weeks back is a look back; the story's day follows
        ("今年5月10日，法院公开宣判了此案。7月24日，受害人家人提起民事诉讼。", "2012-07-27", "2012-07-24"),
        # a stretch of time sets the scene; a date opening its clause states the event
        ("最近，北京楼市备受关注。\n2009年8月1日，样板间正式对外开放。", None, "2009-08-01"),
        # dates in a 《title》 name a document
        ("《2025年5月1日起施行的条例解读》今天（5月20日）发布。", "2025-05-20", "2025-05-20"),
        # an explicit year earlier in the sentence: a plan that year, not last year's day
        ("2026年高考于6月7日开始举行。昨天，教育部部署考试安全工作。", "2026-01-22", "2026-01-21"),
    ],
)
def test_main_event(body: str, published: str | None, expected: str) -> None:
    assert when(body, published) == expected


def test_event_date_record() -> None:
    body = "央视网消息（新闻联播）：国务院总理李强27日在京会见新加坡总理黄循财。"
    found = event_date("李强会见新加坡总理", body, datetime(2024, 6, 28, 19, 30, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert isinstance(found, EventDate)
    assert found.date == date(2024, 6, 27)
    assert found.kind == "day" and found.field == "body"
    assert body[found.start : found.end] == "27日"
    assert found.evidence.startswith("27日在京会见")
    assert 0 < found.confidence <= 1
    assert found.to_dict()["date"] == "2024-06-27"


def test_full_width_offsets_point_into_the_original_text() -> None:
    body = "中新社上海６月２７日电　（记者　李四）上海２７日举行推介会。"
    found = event_date("", body, date(2012, 6, 27))
    assert found is not None and found.date == date(2012, 6, 27)
    assert body[found.start : found.end] in ("２７日", "６月２７日")


def test_title_is_read_only_without_a_body() -> None:
    assert event_date("7月2日美股专家坐堂实录", "", date(2009, 7, 3)).date == date(2009, 7, 2)  # type: ignore[union-attr]
    found = event_date("7月2日美股专家坐堂实录", "专家回答网友提问。", date(2009, 7, 3))
    assert found is None


def test_empty_and_odd_input() -> None:
    assert event_date("", "", None) is None
    assert event_date("", "32日和13月45日都不是日期，2023年2月30日也不是。", date(2023, 3, 1)) is None
    assert event_date("", "3日游报价，30日内有效，近5日均线上行。", date(2023, 3, 10)) is None
    assert event_date("", "华龙一号核电机组今天（3月25日）投产发电。", date(2023, 3, 25)).date == date(2023, 3, 25)  # type: ignore[union-attr]


# -- generated stories: any publish date, any lag ----------------------------------------------------------
def test_generated_month_day_leads() -> None:
    rng = random.Random(5)
    for _ in range(300):
        event = date(2020, 1, 1) + timedelta(days=rng.randrange(2000))
        lag = rng.choice([0, 1, 2, 5, 20, 40, 100, 200, 280])
        published = event + timedelta(days=lag)
        body = f"{event.month}月{event.day}日，某市举行新闻发布会，介绍城市更新进展。"
        found = event_date("", body, published)
        assert found is not None and found.date == event, (event, published)
        assert is_republished(published, found) == (lag > EVENT_AFTER_DAYS)


def test_generated_relative_and_day_leads() -> None:
    rng = random.Random(6)
    for _ in range(300):
        published = date(2021, 1, 1) + timedelta(days=rng.randrange(1500))
        word, offset = rng.choice([("今天", 0), ("昨天", -1), ("昨晚", -1), ("前天", -2)])
        assert when(f"{word}，市政府召开常务会议。", published.isoformat()) == (
            published + timedelta(days=offset)).isoformat()
        back = rng.randrange(0, 20)
        day = published - timedelta(days=back)
        assert when(f"市长{day.day}日在市政府会见外宾。", published.isoformat()) == day.isoformat()


# -- republication -----------------------------------------------------------------------------------------
def test_republication_rule() -> None:
    pub = datetime(2024, 4, 14, 2, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
    event = event_date("", "7月6日举行的全会审议通过了实施意见。", pub)
    flagged = republication(pub, event)
    assert flagged is not None and flagged.reason == "event-date" and flagged.original == date(2023, 7, 6)
    assert flagged.days == 283 and flagged.to_dict()["original"] == "2023-07-06"
    # the first printing of the copy cluster decides first, with its own, shorter, threshold
    first = date(2024, 1, 2)
    by_copy = republication(pub, event, first)
    assert by_copy is not None and by_copy.reason == "first-printing" and by_copy.original == first
    assert republication(date(2024, 1, 2) + timedelta(days=FIRST_PRINTING_AFTER_DAYS), None, first) is None
    assert republication(date(2024, 1, 2) + timedelta(days=FIRST_PRINTING_AFTER_DAYS + 1), None, first) is not None
    # an event a few weeks back is a late report, not a republication
    assert republication(date(2024, 6, 1), date(2024, 6, 1) - timedelta(days=EVENT_AFTER_DAYS)) is None
    assert republication(None, date(2020, 1, 1), date(2020, 1, 1)) is None
    assert not is_republished(date(2024, 6, 1), None)


def test_sample_page_main_story() -> None:
    from xinwen.evaluation.dates import evaluate_sample

    got = evaluate_sample()
    assert got["event_date"] == "2023-07-06"
    assert got["republished"] is not None and got["republished"]["original"] == "2023-07-06"
    assert got["ok"]


def test_first_date_anchor() -> None:
    from xinwen.evaluation.dates import first_date_like

    assert first_date_like("近日，…６月１日起施行。", date(2012, 5, 30)) == date(2012, 6, 1)
    assert first_date_like("昨天，…", date(2012, 5, 30)) == date(2012, 5, 29)
    assert first_date_like("没有日期", date(2012, 5, 30)) is None


# -- real data ---------------------------------------------------------------------------------------------
@pytest.mark.realdata
def test_hand_read_stories(shared) -> None:
    from xinwen.evaluation.dates import evaluate_gold, gold_path

    path = gold_path()
    assert path is not None
    scores, failures = evaluate_gold(path)
    overall = scores["all"]["xinwen"]
    assert overall["stated"] >= 200 and overall["null"] >= 20
    assert overall["accuracy"] >= 0.95, failures
    assert overall["abstention"] >= 0.8, failures
    assert overall["accuracy"] > scores["all"]["first-date"]["accuracy"]
    assert overall["abstention"] > scores["all"]["first-date"]["abstention"]


@pytest.mark.realdata
def test_planted_republications_from_the_text(shared) -> None:
    from xinwen.evaluation import datasets
    from xinwen.evaluation.dates import evaluate_planted_text

    stories = [s for s in datasets.records("xinwenlianbo.jsonl.gz") if s.get("date")]
    got = evaluate_planted_text(stories, planted=300)
    assert got["stories"] == len(stories)
    assert got["untouched_flagged_rate"] <= 0.01
    assert got["untouched_flagged_rate"] <= got["first-date"]["untouched_flagged_rate"]


@pytest.mark.realdata
@pytest.mark.slow
def test_planted_republications_with_copy_clusters(shared) -> None:
    from xinwen.evaluation import datasets
    from xinwen.evaluation.dates import evaluate_planted_copies

    stories = [s for s in datasets.records("xinwenlianbo.jsonl.gz") if s.get("date")]
    got = evaluate_planted_copies(stories, copies=40, limit=400)
    assert got["planted"] == 40
    assert got["recall"] >= 0.95
    assert got["untouched_flagged_rate"] <= 0.01
