"""The edition folder is the contract between the wings: deliver reads the manifest
and the files it lists, never the knowledge base, the templates or publish's code,
and it still reads editions written before the email was rendered at build time."""

from __future__ import annotations

import email
import email.policy
import json
import shutil
import subprocess
import sys
from pathlib import Path

from bs4 import BeautifulSoup
from click.testing import CliRunner
from conftest import ROOT
from mail_helpers import DATE

from briefings.cli.main import cli
from briefings.deliver.state import connect
from briefings.deliver.subscribers import add
from briefings.editions import MANIFEST, SNAPSHOT, editions, read_edition

pytest_plugins = ["mail_fixtures"]

FORMAT_0 = ROOT / "tests" / "editions" / "format-0"  # written by the build of c4614f8


def _format_0_out(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the committed format-0 edition inside an output folder."""
    manifest = json.loads((FORMAT_0 / "2024-04-01" / MANIFEST).read_text())
    out = tmp_path / "old-out"
    folder = out / manifest["briefing"] / manifest["date"]
    shutil.copytree(FORMAT_0 / "2024-04-01", folder)
    return out, folder


def _parse(path: Path) -> email.message.EmailMessage:
    return email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[return-value]


def test_a_format_0_edition_reads_with_its_topics_from_the_snapshot(tmp_path):
    _, folder = _format_0_out(tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text())
    snapshot = json.loads((folder / SNAPSHOT).read_text())
    assert "format" not in manifest
    assert "email" not in manifest
    edition = read_edition(folder)
    assert edition is not None
    assert edition.format == 0
    assert edition.email is None
    assert edition.topics == tuple(snapshot["briefing"]["topics"])
    assert (edition.briefing, edition.number, edition.tlp) == (
        manifest["briefing"], manifest["edition"], manifest["tlp"])


def test_a_format_0_edition_is_sent_with_a_short_letter_and_its_pdf(state, tmp_path):
    out, folder = _format_0_out(tmp_path)
    manifest = json.loads((folder / MANIFEST).read_text())
    topics = json.loads((folder / SNAPSHOT).read_text())["briefing"]["topics"]
    conn = connect()
    add(conn, address="ann@example.org", topics=[topics[0]], tlp="red")
    add(conn, address="bob@example.org", topics=["not-" + topics[0]], tlp="red")
    add(conn, address="cleo@example.org", topics=[topics[0]], tlp="clear")  # not cleared
    result = CliRunner().invoke(cli, ["send", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 sent, 0 pending, 0 failed" in result.output
    sent = sorted(Path("outbox").glob("*.eml"))
    assert len(sent) == 1
    message = _parse(sent[0])
    assert message["To"].addresses[0].addr_spec == "ann@example.org"
    title, tlp, date = manifest["title"], manifest["tlp"], manifest["date"]
    assert message["Subject"] == f"[TLP:{tlp.upper()}] {title} - {date}"
    text = message.get_body(("plain",)).get_content()
    assert title in text
    assert f"TLP:{tlp.upper()}" in text
    assert "https://unsubscribe.invalid" not in text
    assert "Unsubscribe: mailto:" in text  # no public URL: the mailto link stands in
    html = BeautifulSoup(message.get_body(("html",)).get_content(), "html.parser")
    assert html.find("h1").get_text() == title
    assert [a["href"] for a in html.find_all("a")] == [
        "mailto:briefings@localhost?subject=unsubscribe"]
    pdf = next(p for p in message.iter_attachments() if p.get_content_type() == "application/pdf")
    assert pdf.get_content() == (folder / f"{manifest['briefing']}-{date}.pdf").read_bytes()


def test_send_takes_no_templates_and_ignores_seeds(state, built, tmp_path):
    add(connect(), address="ann@example.org", topics=["water"], tlp="green")
    refused = CliRunner().invoke(cli, ["send", "--out", str(built), "--templates", "t"])
    assert refused.exit_code == 2
    assert "--templates" in refused.output
    missing = tmp_path / "no-such-seeds"
    sent = CliRunner().invoke(cli, ["send", "--out", str(built), "--seeds", str(missing),
                                    "--dry-run", "river-dispute"])
    assert sent.exit_code == 0, sent.output
    assert "would send river-dispute" in sent.output
    options = CliRunner().invoke(cli, ["send", "--help"]).output.split("Options:")[1]
    assert "--seeds" not in options, "accepted for older scripts, not offered"


def test_sending_loads_nothing_from_publish(built, tmp_path):
    """Composing either format's email imports no publish module and no drawing library."""
    _, old_folder = _format_0_out(tmp_path)
    new_folder = next(p for p in (built / "river-dispute").iterdir() if p.is_dir())
    script = (
        "import sys; from pathlib import Path; from briefings.editions import read_edition;"
        "from briefings.deliver.mail import compose;"
        "[compose(read_edition(Path(a))) for a in sys.argv[1:]];"
        "print(sorted(m for m in sys.modules if m.startswith('briefings.publish') or "
        "m.split('.')[0] in {'matplotlib', 'graphviz', 'weasyprint', 'jinja2', 'css_inline'}))"
    )
    done = subprocess.run([sys.executable, "-c", script, str(old_folder), str(new_folder)],
                          capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


def test_a_manifest_naming_a_file_outside_its_folder_is_refused(state, built, tmp_path):
    folder = tmp_path / "out" / "river-dispute" / DATE
    shutil.copytree(next(e for e in editions(built, "river-dispute") if e.date == DATE).folder,
                    folder)
    (tmp_path / "secret.txt").write_text("not for mail")
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["email"]["text"] = "../../../secret.txt"
    (folder / MANIFEST).write_text(json.dumps(manifest))
    add(connect(), address="ann@example.org", topics=["water"], tlp="green")
    result = CliRunner().invoke(cli, ["send", "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "refusing to read the file '../../../secret.txt'" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert not Path("outbox").exists()
