"""Accessibility, validity and layout checks in a real browser, for the tests.

The tools are the project's own, installed by ``install.sh``: Debian's Chromium,
axe-core and the Nu Html Checker (``vnu.jar``) pinned in ``tools/package.json``, and
Java for the checker. Chromium is driven through its DevTools protocol over a pipe
(``--remote-debugging-pipe``: JSON messages ending in NUL on file descriptors 3 and
4), so no websocket client or browser-driver package is needed.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self
from urllib.parse import unquote, urlparse

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools" / "node_modules"
AXE = TOOLS / "axe-core" / "axe.min.js"
VNU = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = os.environ.get("BRIEFINGS_TEST_CHROMIUM", "/usr/bin/chromium")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DESKTOP, PHONE = (1280, 900), (375, 812)
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe",
]

# How far content reaches past the right edge of the viewport. The root and body are
# made overflow-x: visible first, so content cut off at the page's edge counts; content
# inside its own scroll box (overflow-x: auto or scroll) does not: it can be reached.
OVERFLOW_JS = """(() => {
  const vw = window.innerWidth;
  const style = document.createElement('style');
  style.textContent = 'html, body { overflow-x: visible !important; }';
  document.documentElement.appendChild(style);
  let widest = document.documentElement.scrollWidth - vw;
  const offenders = [];
  const opaque = new Set(['svg', 'math', 'img', 'video', 'canvas', 'iframe', 'object']);
  function walk(el) {
    const cs = getComputedStyle(el);
    if (cs.display === 'none') return;
    if ((cs.clip && cs.clip !== 'auto') || (cs.clipPath && cs.clipPath !== 'none')) return;
    const r = el.getBoundingClientRect();
    const root = el === document.documentElement || el === document.body;
    if (!root && r.width >= 4 && r.height >= 4 && r.right > vw + 1) {
      widest = Math.max(widest, r.right - vw);
      offenders.push(el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined
        ? '.' + el.className.split(' ')[0] : '') + ' reaches ' + Math.round(r.right));
    }
    if (opaque.has(el.tagName.toLowerCase())) return;
    if (!root && (cs.overflowX === 'auto' || cs.overflowX === 'scroll')) return;
    for (const child of el.children) walk(child);
  }
  walk(document.documentElement);
  style.remove();
  return JSON.stringify({widest: Math.max(0, Math.round(widest)), innerWidth: vw,
                         offenders: offenders.slice(0, 5)});
})()"""

AXE_RUN_JS = """axe.run(document, {runOnly: {type: 'tag', values: %s},
                                   resultTypes: ['violations']}).then(r => JSON.stringify(
  r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.map(n => n.target.join(' '))}))))"""


def missing_tools() -> str | None:
    """Why the browser checks cannot run here, or None when they can."""
    for what, path in (("Chromium", Path(CHROMIUM)), ("axe-core", AXE), ("vnu.jar", VNU)):
        if not path.exists():
            return f"{what} not found at {path}: run install.sh"
    if shutil.which("java") is None:
        return "java not found: run install.sh"
    return None


@dataclass
class Report:
    """What the browser found in one page."""

    violations: list[dict[str, Any]] = field(default_factory=list)  # axe, both widths
    overflow: int = 0  # pixels past the right edge at 375 px
    offenders: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # anything fetched off this machine

    def serious(self) -> list[str]:
        return sorted({f"{v['id']} ({v['impact']}): {v['help']} at {v['nodes'][:3]}"
                       for v in self.violations if v["impact"] in {"critical", "serious"}})


class Browser:
    """One headless Chromium session, spoken to over the DevTools pipe."""

    def __init__(self) -> None:
        self._profile = tempfile.TemporaryDirectory(prefix="briefings-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # the child's ends above 9 first, so moving them to 3 and 4 clobbers neither
        for fd in (to_browser_r, from_browser_w):
            high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
            os.close(fd)
            to_browser_r, from_browser_w = (
                (high, from_browser_w) if fd == to_browser_r else (to_browser_r, high))
        shell = (f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w} '
                 f"{to_browser_r}<&- {from_browser_w}>&-")
        self._process = subprocess.Popen(
            ["/bin/bash", "-c", shell, CHROMIUM, *FLAGS,
             f"--user-data-dir={self._profile.name}", "about:blank"],
            pass_fds=(to_browser_r, from_browser_w),
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self._session = self.call("Target.attachToTarget", targetId=target,
                                  flatten=True)["sessionId"]
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable", session=self._session)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        try:
            self.call("Browser.close")
        except (OSError, RuntimeError):
            self._process.kill()
        self._process.wait(timeout=30)
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._profile.cleanup()

    def _read(self) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            chunk = os.read(self._from_browser, 1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def call(self, method: str, *, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer (events meanwhile are kept)."""
        self._next_id += 1
        command: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            command["sessionId"] = session
        os.write(self._to_browser, json.dumps(command).encode() + b"\0")
        while True:
            message = self._read()
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self._events.append(message)

    def _wait_for(self, event: str) -> None:
        while True:
            if any(e.get("method") == event for e in self._events):
                self._events = [e for e in self._events if e.get("method") != event]
                return
            self._events.append(self._read())

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", session=self._session, expression=expression,
                           awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"in the page: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, page: Path, width: int, height: int) -> None:
        """Load ``page`` in a window ``width`` x ``height`` CSS pixels, fonts ready."""
        self.call("Emulation.setDeviceMetricsOverride", session=self._session,
                  width=width, height=height, deviceScaleFactor=1, mobile=False)
        self._events.clear()
        self.call("Page.navigate", session=self._session, url=page.resolve().as_uri())
        self._wait_for("Page.loadEventFired")
        self.evaluate("document.fonts.ready.then(() => true)")

    def check(self, page: Path) -> Report:
        """axe-core at desktop and phone width; horizontal overflow at 375 px."""
        report = Report()
        axe = AXE.read_text(encoding="utf-8")
        seen: set[tuple[str, str]] = set()
        for width, height in (DESKTOP, PHONE):
            self.open(page, width, height)
            if width == PHONE[0]:
                measured = json.loads(self.evaluate(OVERFLOW_JS))
                assert measured["innerWidth"] == width, measured
                report.overflow, report.offenders = measured["widest"], measured["offenders"]
            self.evaluate(axe)
            for v in json.loads(self.evaluate(AXE_RUN_JS % json.dumps(AXE_TAGS))):
                if (v["id"], str(v["nodes"])) not in seen:
                    seen.add((v["id"], str(v["nodes"])))
                    report.violations.append(v)
            report.requests += [
                e["params"]["request"]["url"] for e in self._events
                if e.get("method") == "Network.requestWillBeSent"
                and not e["params"]["request"]["url"].startswith(("file:", "data:", "about:"))
            ]
        return report


def nu_errors(pages: list[Path]) -> dict[Path, list[str]]:
    """The Nu Html Checker's errors for each page (one Java run for them all)."""
    run = subprocess.run(
        ["java", "-Xss8m", "-jar", str(VNU), "--format", "json", "--exit-zero-always",
         *map(str, pages)],
        capture_output=True, text=True, check=True, timeout=600,
    )
    errors: dict[Path, list[str]] = {p: [] for p in pages}
    by_path = {str(p.resolve()): p for p in pages}
    for m in json.loads(run.stderr or run.stdout)["messages"]:
        if m["type"] in {"error", "non-document-error"}:
            where = unquote(urlparse(m.get("url", "")).path)
            page = by_path.get(where, pages[0] if len(pages) == 1 else Path(where))
            errors.setdefault(page, []).append(f"line {m.get('lastLine')}: {m['message']}")
    return errors
