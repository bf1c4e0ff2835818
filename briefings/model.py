"""The data contract: one frozen model per collection, with its vocabularies.

The models are the single statement of the YAML format: the loader validates with
them and ``briefings schema`` prints their JSON Schema.
"""

from __future__ import annotations

import calendar
import re
from functools import cache
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
)

from briefings.cron import check_cron
from briefings.opt_outs import LintIgnorable
from briefings.values import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_NUMBER,
    check_briefing_id,
    check_language,
    check_number,
    check_once,
    check_visible,
    check_web_address,
    check_written,
)
from briefings.vocabularies import CREDIBILITY, LIKELIHOODS, RELIABILITY  # noqa: F401 - re-exported

SLUG = r"^[a-z0-9][a-z0-9-]*$"
MAX_ID = 64  # ids name folders, files and web addresses
_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")

SCALES: dict[str, float] = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")
TLP_COLOURS = {"clear": "#FFFFFF", "green": "#33FF00", "amber": "#FFC000",  # TLP 2.0 text
               "amber+strict": "#FFC000", "red": "#FF2B2B"}  # colours, on black


def _check_date(value: str) -> str:
    check_written(value, "the date")
    match = _DATE.match(value)
    if not match:
        raise ValueError(f"expected a date as YYYY, YYYY-MM or YYYY-MM-DD, got {value!r}")
    year = int(match[1])  # the year is always there
    month, day = (int(part) if part else None for part in match.groups()[1:])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        gone = "year 0000 does not exist; " if year == 0 else ""
        raise ValueError(
            f"{gone}year {year:04d} in {value!r} is out of range: dates run from {FIRST_YEAR} "
            f"to {LAST_YEAR} (a typo?)"
        )
    if month is not None and not 1 <= month <= 12:
        raise ValueError(f"month {month} does not exist in {value!r}")
    if day is not None and not 1 <= day <= calendar.monthrange(year, month or 1)[1]:
        raise ValueError(f"day {day} does not exist in {value!r}")
    return value


@cache
def _pycountry() -> Any:
    import pycountry

    return pycountry


def _check_country(value: str) -> str:
    if len(value) != 2 or _pycountry().countries.get(alpha_2=value) is None:
        raise ValueError(f"expected an ISO 3166-1 alpha-2 country code, got {value!r}")
    return value


def _check_currency(value: str) -> str:
    if len(value) != 3 or _pycountry().currencies.get(alpha_3=value) is None:
        raise ValueError(f"expected an ISO 4217 currency code, got {value!r}")
    return value


def _check_timezone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        message = f"expected an IANA time zone such as Europe/London, got {value!r}"
        raise ValueError(message) from None
    return value


Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(check_visible)
]
Markdown = Annotated[Text, Field(description="CommonMark text; raw HTML is shown as text")]
Slug = Annotated[str, StringConstraints(pattern=SLUG, max_length=MAX_ID)]
BriefingId = Annotated[Slug, AfterValidator(check_briefing_id)]
# Numbers as written in YAML (check_number); bounds first: JSON Schema minimum/maximum.
Quantity = Annotated[float, Field(ge=0, le=MAX_NUMBER), BeforeValidator(check_number)]
CredibilityGrade = Annotated[int, Field(ge=1, le=6), BeforeValidator(check_number)]
Date = Annotated[
    str,
    AfterValidator(_check_date),
    WithJsonSchema({"type": ["string", "integer"], "pattern": _DATE.pattern}),
]
WebAddress = Annotated[
    Text,
    AfterValidator(check_web_address),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"}),
]
Country = Annotated[str, AfterValidator(_check_country)]
Language = Annotated[str, AfterValidator(check_language)]
Currency = Annotated[str, AfterValidator(_check_currency)]
Cron = Annotated[str, AfterValidator(check_cron)]
TimeZone = Annotated[str, AfterValidator(_check_timezone)]
Address = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]  # an email
Likelihood = Literal[
    "remote-chance", "highly-unlikely", "unlikely", "realistic-possibility",
    "likely", "highly-likely", "almost-certain",
]
Tlp = Literal["clear", "green", "amber", "amber+strict", "red"]
Section = Literal[
    "bluf", "key-judgments", "changes", "actors", "motives",
    "dealings", "measures", "timeline", "sources",
]
SECTIONS: tuple[Section, ...] = get_args(Section)  # in the default order


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(Contract):
    """A cited source, with how credible this piece of information is."""

    source: Slug = Field(description="id of a source")
    credibility: CredibilityGrade | None = Field(
        None, description="1 confirmed … 6 cannot be judged"
    )
    locator: Text | None = Field(None, description='where in the source, e.g. "para 4"')
    quote: Text | None = Field(None, description="a short quote")


def _citation(value: Any) -> Any:
    return {"source": value} if isinstance(value, str) else value


Cites = list[
    Annotated[Citation, BeforeValidator(_citation, json_schema_input_type=Slug | Citation)]
]


class Item(Contract):
    id: Slug = Field(description="unique within its collection; [a-z0-9][a-z0-9-]*")


Subjects = Annotated[list[Slug], Field(description="what it is about (briefings.publish.scope)")]


class Source(Item):
    publisher: Text
    title: Text
    published: Date
    author: Text | None = None
    url: WebAddress | None = None
    reliability: Literal["A", "B", "C", "D", "E", "F"] = Field("F", description="Admiralty grade")
    notes: Text | None = None


class Profile(Contract):  # what an actor is, for the notes on these subjects
    subjects: list[Slug] = Field(min_length=1, description="the notes this profile is for")
    summary: Markdown
    sources: Cites = []


class Actor(Item):
    name: Text
    kind: Literal["person", "state", "organisation", "group"]
    native_name: Text | None = Field(None, description="the name in the actor's own script")
    lang: Language | None = Field(None, description="BCP 47 language of native_name, e.g. ko")
    aliases: list[Text] = []
    country: Country | None = Field(None, description="ISO 3166-1 alpha-2")
    role: Text | None = None
    leads: Slug | None = Field(None, description="id of the actor this one leads")
    summary: Markdown | None = None
    sources: Cites = []
    profiles: list[Profile] = Field([], description="per subject, for summary and sources")


class Motive(Item):
    actor: Slug
    goal: Text = Field(description="one line")
    category: Literal[
        "security", "military", "economic", "political", "ideological", "prestige", "humanitarian"
    ]
    sources: Cites
    priority: Literal["primary", "secondary"] = "secondary"
    description: Markdown | None = None
    subjects: Subjects = []


class Measure(Item):
    title: Text
    kind: Literal[
        "sanctions", "tariff", "export-control", "arms-embargo", "asset-freeze", "travel-ban",
        "other",
    ]
    imposed_by: list[Slug]
    targets: list[Slug]
    status: Literal["proposed", "threatened", "announced", "in-force", "suspended", "lifted"]
    sources: Cites
    rate_percent: Quantity | None = None
    announced: Date | None = None
    effective: Date | None = None
    ends: Date | None = None
    authority: Text | None = None
    description: Markdown | None = None
    subjects: Subjects = []


class Value(Contract):
    amount: Quantity = Field(description="e.g. 93800000000, 1.75e9, or 1.75 with a scale")
    currency: Currency = Field(description="ISO 4217")
    period: Text | None = None
    scale: Literal["thousand", "million", "billion", "trillion"] | None = None  # 1.75 billion
    estimate: bool = Field(default=False, description="an estimate: printed with 'about'")

    @property
    def total(self) -> float:  # in units of the currency
        return self.amount * SCALES.get(self.scale or "", 1)


class Dealing(Item):
    from_: Slug = Field(alias="from")
    to: Slug
    kind: Literal[
        "arms", "munitions", "troops", "technology", "food-aid", "trade", "finance",
        "political-support", "other",
    ]
    status: Literal["confirmed", "reported", "suspected", "proposed", "denied"]
    sources: Cites
    items: list[Text] = []
    value: Value | None = None
    in_return_for: list[Slug] = []
    start: Date | None = None
    end: Date | None = None
    summary: Markdown | None = None
    subjects: Subjects = []


class Event(Item):
    date: Date
    title: Text
    sources: Cites
    actors: list[Slug] = []
    location: Text | None = None
    summary: Markdown | None = None
    subjects: Subjects = []


def _check_past_day(value: str) -> str:
    from datetime import date

    if len(value) != len("YYYY-MM-DD"):
        raise ValueError(f"expected the day it was known, YYYY-MM-DD, got {value!r}")
    if value > date.today().isoformat():
        raise ValueError(f"{value} is in the future: record an outcome once it is known")
    return value


class Outcome(Contract):
    """What became of a judgment: recorded once known, with the sources that say so."""

    result: Literal["happened", "not-happened", "void"]  # void: no longer judged, not scored
    on: Annotated[Date, AfterValidator(_check_past_day)] = Field(description="YYYY-MM-DD")
    sources: Cites = Field(min_length=1, description="where the outcome is reported")


class Judgment(Item, LintIgnorable):
    statement: Text
    likelihood: Likelihood = Field(description="UK PHIA probability yardstick")
    confidence: Literal["low", "moderate", "high"]
    sources: Cites
    about: list[Slug] = []
    basis: Markdown | None = None
    indicators: list[Text] = Field([], description="what would change the judgment")
    subjects: Subjects = []
    resolves_by: Date | None = Field(None, description="when the judgment can be judged")
    resolves_when: Text | None = Field(None, description="how it will be judged")
    outcome: Outcome | None = Field(None, description="what happened, once known")
    reason_for_change: Text | None = Field(None, description="why it moved since last edition")


class Briefing(Item, LintIgnorable):
    id: BriefingId = Field(description="unique; [a-z0-9][a-z0-9-]*, not a web route's name")
    title: Text
    bluf: Markdown = Field(description="the bottom line up front")
    tlp: Tlp = Field(description="Traffic Light Protocol 2.0 marking")
    actors: list[Slug] = Field(min_length=1, description="the scope: ids of actors")
    subtitle: Text | None = None
    author: Text | None = None
    topics: list[Text] = []
    schedule: Cron | None = Field(None, description="5-field cron expression")
    timezone: TimeZone = "UTC"
    sections: Annotated[list[Section], AfterValidator(check_once)] = list(SECTIONS)
    on_unchanged: Literal["send", "skip"] = "send"
    subjects: list[Slug] = Field([], description="what the note covers: items sharing one")
    include: list[Slug] = Field([], description="ids of items always in this briefing")
    exclude: list[Slug] = Field([], description="ids of items never in this briefing")
    key_judgments: list[Slug] = Field([], description="judgment ids, most important first")
    cutoff: Date | None = Field(None, description="information cut-off (default: newest cited)")
    red_readers: list[Address] = Field(
        [], description="for TLP:RED: the addresses of the only readers it may go to")


COLLECTIONS: dict[str, type[Item]] = {
    "sources": Source,
    "actors": Actor,
    "motives": Motive,
    "measures": Measure,
    "dealings": Dealing,
    "events": Event,
    "judgments": Judgment,
    "briefings": Briefing,
}

# The collections a briefing's subjects, include and exclude choose from.
ITEMS = ("motives", "measures", "dealings", "events", "judgments")
# Which fields name ids of which collection(s), for cross-reference checks.
REFERENCES: dict[str, dict[str, str | tuple[str, ...]]] = {
    "actors": {"leads": "actors"},
    "motives": {"actor": "actors"},
    "measures": {"imposed_by": "actors", "targets": "actors"},
    "dealings": {"from": "actors", "to": "actors", "in_return_for": "dealings"},
    "events": {"actors": "actors"},
    "judgments": {"about": "actors"},
    "briefings": {
        "actors": "actors", "key_judgments": "judgments", "include": ITEMS, "exclude": ITEMS,
    },
}
