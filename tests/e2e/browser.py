"""A person at a browser window. Every page they land on is screenshotted and checked by axe:
a serious or critical violation fails the journey there, with a readable list."""

import functools
import itertools
import json
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = ROOT / ".cache" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("serious", "critical")

_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({
      target: n.target.join(" "), html: n.html.slice(0, 160), summary: n.failureSummary || ""
    }))
  }));
}"""


_FOCUS_STATE = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const box = element.getBoundingClientRect();
  const style = getComputedStyle(element);
  return {
    element: element.outerHTML.slice(0, 120),
    visible: box.width > 0 && box.height > 0 && style.visibility !== "hidden",
    outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0,
  };
}"""


@functools.cache
def _axe_source() -> str:
    return AXE_SCRIPT.read_text(encoding="utf-8")


class AxeReport:
    """Every checked page and its violations of any impact, written as JSON at the end."""

    def __init__(self, path: Path):
        self.path = path
        self.pages: list[dict] = []

    def add(self, name: str, url: str, violations: list[dict]) -> None:
        self.pages.append({"page": name, "url": url, "violations": violations})

    def write(self) -> None:
        self.path.write_text(json.dumps(self.pages, indent=2), encoding="utf-8")


def describe_violations(name: str, url: str, violations: list[dict]) -> str:
    lines = [f"axe found {len(violations)} serious or critical problem(s) on {name} ({url}):"]
    for v in violations:
        lines.append(f"- {v['id']} [{v['impact']}] {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    at {node['target']}: {node['html']}")
            if summary:
                lines.append(f"      {summary}")
        if len(v["nodes"]) > 5:
            lines.append(f"    ... and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


class Actor:
    """One person's browser window (its own cookies). ``check(name)`` after every new page."""

    _shots = itertools.count(1)

    def __init__(self, browser, who: str, base_url: str, artefacts: Path, report: AxeReport):
        self.who = who
        self.artefacts = artefacts
        self.report = report
        self.context = browser.new_context(
            base_url=base_url,
            viewport={"width": 1280, "height": 900},
            locale="en-CA",
            timezone_id="America/Toronto",
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.script_errors: list[str] = []
        self.unchecked_pages: list[str] = []
        self._landed: str | None = None
        self._polling = False
        self.page.on("pageerror", lambda error: self.script_errors.append(str(error)))
        self.page.on("console", self._console)
        self.page.on("load", self._loaded)

    @property
    def main(self):
        """The page's main region: the site header holds a sign-out form, so clicks go here."""
        return self.page.locator("main")

    def _console(self, message) -> None:
        if message.type != "error":
            return
        if message.location.get("url", "").endswith("/favicon.ico"):
            return  # the browser asks for one; the app does not ship it
        self.script_errors.append(message.text)

    def _loaded(self, page) -> None:
        # A new document (not a jump to a #fragment of the same one) is a new page to check.
        if self._landed is not None and not self._polling:
            self.unchecked_pages.append(self._landed)
        self._landed = page.url

    def goto(self, path: str, name: str):
        self.page.goto(path)
        self.check(name)
        return self.page

    def submit(self, control, name: str) -> None:
        """Click a control that loads a new page, wait for it, then check it."""
        with self.page.expect_event("load"):
            control.click()
        self.check(name)

    def press_and_wait(self, key: str, name: str) -> None:
        """Press a key that loads a new page (Enter on a link or button), then check it."""
        with self.page.expect_event("load"):
            self.page.keyboard.press(key)
        self.check(name)

    def tab_to(self, target, limit: int = 120) -> None:
        """Press Tab until ``target`` has the focus; every stop on the way must show where
        the focus is (a visible element with an outline)."""
        for _ in range(limit):
            self.page.keyboard.press("Tab")
            focus = self.page.evaluate(_FOCUS_STATE)
            if focus is None:
                continue  # the focus left the page for the browser's own controls
            assert focus["visible"], f"{self.who}: the focus went to a hidden element {focus}"
            assert focus["outline"], f"{self.who}: no visible focus indicator on {focus}"
            if target.evaluate("element => element === document.activeElement"):
                return
        raise AssertionError(f"{self.who}: {target} not reached with {limit} presses of Tab")

    def reload_until(self, condition, name: str, timeout: float) -> None:
        """Reload until ``condition()`` holds, as a person waiting for a status would; the
        last load is checked (the earlier ones showed the same page)."""
        deadline = time.monotonic() + timeout
        self._polling = True
        try:
            while not condition():
                assert time.monotonic() < deadline, f"{name}: not there after {timeout:.0f} s"
                self.page.wait_for_timeout(500)
                self.page.reload()
        finally:
            self._polling = False
        self.check(name)

    def check(self, name: str) -> None:
        """Save a full-page screenshot and run axe; serious or critical violations fail."""
        number = next(self._shots)
        self.page.screenshot(
            path=self.artefacts / f"{number:02d}-{self.who}-{_slug(name)}.png", full_page=True
        )
        violations = self._axe()
        self.report.add(f"{self.who}: {name}", self.page.url, violations)
        self._landed = None
        failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
        assert not failing, describe_violations(name, self.page.url, failing)

    def _axe(self) -> list[dict]:
        # The app's Content-Security-Policy refuses inline scripts, so page.add_script_tag
        # would be blocked (and log a violation); a function run through the DevTools
        # protocol is not subject to the page's policy.
        if not self.page.evaluate("() => typeof window.axe === 'object'"):
            self.page.evaluate("() => {\n" + _axe_source() + "\n}")
        return self.page.evaluate(_RUN_AXE)

    def sign_in(self, email: str, password: str) -> None:
        self.goto("/auth/login", "sign in")
        self.main.get_by_label("Email").fill(email)
        self.main.get_by_label("Password").fill(password)
        self.submit(self.main.get_by_role("button", name="Sign in"), "home")

    def save_failure_screenshot(self, journey: str) -> None:
        """What the window showed when the journey failed, for whoever reads the CI log."""
        path = self.artefacts / f"FAILED-{_slug(journey)}-{self.who}.png"
        try:
            self.page.screenshot(path=path, full_page=True)
        except Exception as error:  # noqa: BLE001  (a closed or crashed page has nothing to show)
            print(f"no failure screenshot for {self.who}: {error}")

    def close(self) -> list[str]:
        """Close the window; returns what went wrong that no step noticed."""
        self.context.close()
        if self._landed is not None:
            self.unchecked_pages.append(self._landed)
        problems = [f"{self.who}'s pages logged errors: {self.script_errors}"] * bool(
            self.script_errors
        )
        if self.unchecked_pages:
            problems.append(f"{self.who} reached pages never checked: {self.unchecked_pages}")
        return problems
