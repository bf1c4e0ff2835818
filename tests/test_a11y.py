"""Web pages and emails in a real browser: axe-core (WCAG 2.1 AA), the Nu Html Checker,
and no horizontal scrolling at 375 px. One Chromium session checks every page.

The pages are the seed and sample editions, the archive pages, the unsubscribe page
in each of its states, and each seed edition's email (its HTML part, images inlined).
"""

from __future__ import annotations

import base64
import email
import email.policy
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from browser_checks import Browser, missing_tools, nu_errors
from conftest import SAMPLE_DATE

from briefings.deliver.mail import compose, message_for, sender_address
from briefings.deliver.subscribers import Subscriber
from briefings.editions import PUBLIC, read_edition
from briefings.publish.render import get_env

pytestmark = pytest.mark.skipif(missing_tools() is not None, reason=str(missing_tools()))


def email_page(folder: Path, target: Path) -> Path:
    """An edition's email as a reader's client shows it: the HTML part, cid: images inline."""
    edition = read_edition(folder)
    assert edition is not None
    letter = compose(edition, sender=sender_address("Desk <desk@example.org>"),
                     public_url="https://briefings.example.org")
    reader = Subscriber(1, "reader@example.org", "Reader", (), "red", "active", "", "")
    message = email.message_from_bytes(
        message_for(letter, reader, unsubscribe_path="/unsubscribe/1/token").as_bytes(),
        policy=email.policy.default,
    )
    images = {
        str(part["Content-ID"]).strip().strip("<>"): "data:image/png;base64,"
        + base64.b64encode(part.get_payload(decode=True)).decode()
        for part in message.walk() if part["Content-ID"]
    }
    html = message.get_body(("html",)).get_content()
    html = re.sub(r'cid:([^"\')\s]+)', lambda m: images[m.group(1)], html)
    target.write_text(html, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def pages(seeds_out: Path, sample_out: Path, tmp_path_factory: pytest.TempPathFactory):
    """Every kind of page a reader sees, from the seeds and the sample."""
    folder = tmp_path_factory.mktemp("pages")
    editions = sorted(p for p in seeds_out.glob("*/*/index.html")
                      if p.parent.parent.name != PUBLIC)
    assert len(editions) >= 3
    found = [
        *editions,
        *sample_out.glob(f"*/{SAMPLE_DATE}/index.html"),
        seeds_out / "index.html",
        *sorted(p for p in seeds_out.glob("*/index.html") if p.parent.name != PUBLIC),
        *sorted((seeds_out / PUBLIC).rglob("*.html")),  # the public site
    ]
    for n, edition in enumerate(editions):
        found.append(email_page(edition.parent, folder / f"email-{n}.html"))
    template = get_env(None).get_template("unsubscribe.html")
    reader = SimpleNamespace(address="reader@example.org")
    for state in ("confirm", "done", "invalid"):
        page = folder / f"unsubscribe-{state}.html"
        page.write_text(template.render(state=state, reader=reader), encoding="utf-8")
        found.append(page)
    return found


# A page with the faults the checks look for: each check must catch it.
BAD = (
    '<!DOCTYPE html><html><head><title>x</title></head><body><main>'
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
    '<p style="color:#bbb">faint</p><div style="width:900px">wide</div>'
    "<figure><figcaption>c</figcaption><p>after</p></figure></main></body></html>"
)


@pytest.fixture(scope="module")
def bad_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("bad") / "bad.html"
    page.write_text(BAD, encoding="utf-8")
    return page


@pytest.fixture(scope="module")
def checked(pages: list[Path], bad_page: Path):
    """Every page, and the bad one, through one browser session and one checker run."""
    with Browser() as browser:
        reports = {page: browser.check(page) for page in [*pages, bad_page]}
    return reports, nu_errors([*pages, bad_page])


@pytest.fixture(scope="module")
def reports(checked, pages: list[Path]):
    return {page: checked[0][page] for page in pages}


def test_no_critical_or_serious_axe_violation(reports) -> None:
    found = {str(page): report.serious() for page, report in reports.items() if report.serious()}
    assert not found


def test_no_horizontal_scrolling_at_375_px(reports) -> None:
    found = {str(page): (report.overflow, report.offenders)
             for page, report in reports.items() if report.overflow}
    assert not found


def test_nothing_is_fetched_from_the_network(reports) -> None:
    assert not {str(page): report.requests for page, report in reports.items() if report.requests}


def test_no_nu_html_checker_error(checked, pages: list[Path]) -> None:
    found = {str(page): checked[1][page] for page in pages if checked[1][page]}
    assert not found


def test_the_checks_can_fail(checked, bad_page: Path) -> None:
    report = checked[0][bad_page]
    rules = {v["id"] for v in report.violations}
    assert {"image-alt", "color-contrast", "html-has-lang"} <= rules
    assert report.overflow >= 900 - 375 - 20
    assert checked[1][bad_page]
