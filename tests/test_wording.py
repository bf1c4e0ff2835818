"""Numbers, dates and names as a reader writes them: the filters, and the seed notes."""

from __future__ import annotations

import re

import pytest
from bs4 import BeautifulSoup

from briefings.errors import InvalidKnowledgeBase
from briefings.model import Value
from briefings.publish.load import load
from briefings.publish.wording import date_range, money, percent, period_text, plain, text_dir


@pytest.mark.parametrize(("data", "shown"), [
    ({"amount": 93800000000, "currency": "USD"}, "US$93.8bn"),
    ({"amount": "1.75e9", "currency": "USD"}, "US$1.75bn"),
    ({"amount": 1.75, "scale": "billion", "currency": "USD"}, "US$1.75bn"),
    ({"amount": 1.75, "scale": "billion", "currency": "GBP", "estimate": "true"},
     "about £1.75bn"),
    ({"amount": 1200000, "currency": "USD"}, "US$1.2m"),
    ({"amount": 123456789, "currency": "EUR"}, "€123.5m"),
    ({"amount": 15432, "currency": "CHF"}, "CHF\u00a015,430"),
    ({"amount": 2.5, "scale": "trillion", "currency": "CNY"}, "CN¥2.5tn"),
    ({"amount": 12.3456, "currency": "JPY"}, "¥12.35"),
])
def test_money_in_the_house_style_with_the_datas_amount(data, shown):
    assert money(Value.model_validate(data)) == shown


def test_a_value_without_scale_or_estimate_stays_valid_and_exact():
    value = Value.model_validate({"amount": 1.75, "currency": "USD"})
    assert (value.scale, value.estimate) == (None, False)
    assert money(value) == "US$1.75"  # the amount in the data, never rounded to "2"


@pytest.mark.parametrize(("start", "end", "shown"), [
    ("2023", None, "since 2023"),
    (None, "2024-05", "until May 2024"),
    ("2023-01", "2023-05", "January–May 2023"),
    ("2025-04-03", "2025-04-09", "3–9 April 2025"),
    ("2022", "2023", "2022–2023"),
    ("2022-11", "2023-02", "November 2022 to February 2023"),
    ("2023-09", "2023-09", "September 2023"),
])
def test_dates_and_open_ranges_in_words(start, end, shown):
    assert date_range(start, end) == shown


def test_periods_percentages_direction_and_markdown():
    assert period_text("2023-01/2023-05") == "January–May 2023"
    assert period_text("per year") == "per year"
    assert percent(6.5) == "6.5%"
    assert percent(20.0) == "20%"
    assert text_dir("ایران") == "rtl"
    assert text_dir("قمرية") == "rtl"
    assert text_dir("Россия") is None
    assert plain("A **bold** and *likely* [link](http://x) `x`.") == "A bold and likely link x."


def test_a_bad_language_tag_is_an_error(write_yaml):
    folder = write_yaml({"a.yaml": "actors:\n  - {id: a, name: A, kind: state, "
                                   "native_name: Ä, lang: klingon}\n"})
    with pytest.raises(InvalidKnowledgeBase, match=r"a.yaml:2:.*actors\[a\]\.lang: expected"):
        load(folder)


def _web(out, briefing: str) -> BeautifulSoup:
    return BeautifulSoup((out / briefing / "2025-04-09" / "index.html").read_text(),
                         "html.parser")


def test_the_seed_notes_print_money_ranges_and_rates_as_a_reader_writes_them(seeds_out):
    soup = _web(seeds_out, "china-ukraine-war")
    values = [v.get_text() for v in soup.select("#dealings .value")]
    assert "US$93.8bn (January–May 2023)" in values  # amount: 93800000000
    assert "US$43bn (January–May 2023)" in values  # amount: 43, scale: billion
    tariffs = _web(seeds_out, "us-china-tariffs")
    rates = [td.get_text() for td in tariffs.select("#measures td.rate")]
    assert "34%" in rates and all(r.count("%") <= 1 for r in rates)
    north_korea = _web(seeds_out, "russia-north-korea")
    periods = [p.get_text() for p in north_korea.select("#dealings .period")]
    assert "since 2022" in periods
    for page in (soup, tariffs, north_korea):
        text = page.get_text()
        assert not re.search(r"\d{4}\s*–\s*(?:$|…|\()", text, re.MULTILINE), "open range"
        assert "USD" not in text


def test_native_names_carry_their_language_and_direction(seeds_out):
    soup = _web(seeds_out, "russia-north-korea")
    names = {n.get_text(): n for n in soup.select(".native-name")}
    assert names["김정은"]["lang"] == "ko"
    assert names["Владимир Путин"]["lang"] == "ru"
    iran = names["ایران"]
    assert (iran["lang"], iran["dir"]) == ("fa", "rtl")
    assert all(n.get("lang") not in {None, "und"} for n in names.values())
