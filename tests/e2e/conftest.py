"""The browser journeys' world: a fresh instance folder and SQLite database, the app under
gunicorn on a free port, the outbox worker in its own process, an aiosmtpd server in this
process, and Debian's Chromium driven by Playwright.

Everything is started once per session and stopped at the end; the journeys share it, in
order, like people working on the same requisition. Screenshots, the axe report and the
processes' logs go to test-artifacts/e2e/ (git-ignored).
"""

import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.browser import AXE_SCRIPT, CHROMIUM, Actor, AxeReport
from tests.smtp_server import SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "test-artifacts" / "e2e"
PASSWORD = "e2e-journeys-password-2026"


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    role: str


RECRUITER = Person("rhea@northwind.example", "Rhea Castellano", "recruiter")
HIRING_MANAGER = Person("priya@northwind.example", "Priya Raman", "hiring_manager")


def skip_requested() -> bool:
    return os.environ.get("RECRUITCARE_SKIP_E2E", "") not in ("", "0")


def pytest_collection_modifyitems(config, items):
    if not skip_requested():
        return
    skip = pytest.mark.skip(reason="RECRUITCARE_SKIP_E2E is set")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


class Site:
    """The running app: its address, its processes, and how to run a flask command on it."""

    def __init__(self, instance: Path, smtp: SmtpServer, logs: Path):
        self.instance = instance
        self.logs = logs
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.app_spec = f"recruitcare:create_app(instance_path={str(instance)!r})"
        self.schema_note = ""
        # Only this test's settings: nothing leaks in from the developer's shell or instance/.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RECRUITCARE_", "FLASK_"))}
        env.update(
            PYTHONUNBUFFERED="1",
            RECRUITCARE_SECRET_KEY=secrets.token_urlsafe(48),
            RECRUITCARE_SQLALCHEMY_DATABASE_URI=f"sqlite:///{instance / 'recruitcare.sqlite'}",
            RECRUITCARE_MAIL_BACKEND="smtp",
            RECRUITCARE_MAIL_SERVER=smtp.host,
            RECRUITCARE_MAIL_PORT=str(smtp.port),
            RECRUITCARE_MAIL_LOCAL_HOSTNAME="localhost",
            RECRUITCARE_BASE_URL=self.base_url,
            RECRUITCARE_RATELIMIT_ENABLED="false",
        )
        self.env = env
        self._processes: list[tuple[str, subprocess.Popen, object]] = []

    def flask(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "flask", "--app", self.app_spec, *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def must(self, *args: str, stdin: str | None = None) -> str:
        done = self.flask(*args, stdin=stdin)
        assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        return done.stdout

    def build_database(self) -> None:
        """Migrate; if the migrations lag behind the models, say so and build from the models."""
        self.must("db", "upgrade")
        check = self.flask("db", "check")
        if check.returncode == 0:
            return
        drift = [line for line in check.stderr.splitlines() if "Detected" in line]
        self.schema_note = (
            f"`flask db upgrade` leaves {len(drift) or 'some'} differences from the models "
            "(`flask db check` fails): the journeys ran on a schema made by db.create_all()."
        )
        (self.instance / "recruitcare.sqlite").unlink()
        code = (
            "from recruitcare import create_app\n"
            "from recruitcare.extensions import db\n"
            f"app = create_app(instance_path={str(self.instance)!r})\n"
            "with app.app_context():\n"
            "    db.create_all()\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, f"db.create_all() failed:\n{done.stderr}"

    def start(self, name: str, command: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("w", encoding="utf-8")
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self._processes.append((name, process, log))

    def start_server(self) -> None:
        self.start(
            "server",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "4",
                "--access-logfile",
                "-",
                self.app_spec,
            ],
        )
        self.wait_until_up()

    def start_worker(self) -> None:
        self.start(
            "worker",
            [
                sys.executable,
                "-m",
                "flask",
                "--app",
                self.app_spec,
                "outbox",
                "run",
                "--poll",
                "0.5",
            ],
        )

    def wait_until_up(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        name, process, _ = self._processes[-1]
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the {name} exited with {process.returncode}: {self.tail(name)}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/auth/login", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        pytest.fail(f"the {name} did not answer within {timeout:.0f} s: {self.tail(name)}")

    def tail(self, name: str, lines: int = 20) -> str:
        path = self.logs / f"{name}.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"

    def assert_running(self) -> None:
        for name, process, _ in self._processes:
            assert process.poll() is None, f"the {name} stopped: {self.tail(name)}"

    def stop(self) -> None:
        for _, process, _ in self._processes:
            if process.poll() is None:
                process.terminate()
        for _, process, log in self._processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()
        self._processes.clear()


@pytest.fixture(scope="session")
def artefacts(request) -> Path:
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    (ARTEFACTS / "logs").mkdir(parents=True)
    note(request.config, f"Screenshots, axe report and logs: {ARTEFACTS.relative_to(ROOT)}/")
    return ARTEFACTS


@pytest.fixture(scope="session")
def browser_tools():
    """Chromium and axe-core, installed by scripts/ensure_browser.py when missing."""
    if not CHROMIUM.exists() or not AXE_SCRIPT.exists():
        done = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "ensure_browser.py")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.fail(done.stderr.strip() or done.stdout.strip(), pytrace=False)
    return CHROMIUM, AXE_SCRIPT


@pytest.fixture(scope="session")
def mail_server():
    """The candidates' mail server: the journeys read the delivered email from here."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def site(request, tmp_path_factory, mail_server, artefacts):
    instance = tmp_path_factory.mktemp("instance")
    site = Site(instance, mail_server, artefacts / "logs")
    try:
        site.build_database()
        if site.schema_note:
            note(request.config, site.schema_note)
        site.must("reasons", "seed")
        for person in (RECRUITER, HIRING_MANAGER):
            site.must(
                "users",
                "create",
                person.email,
                "--role",
                person.role,
                "--name",
                person.name,
                "--password-stdin",
                stdin=PASSWORD + "\n",
            )
        site.start_server()
        site.start_worker()
        yield site
    finally:
        site.stop()


@pytest.fixture(scope="session")
def axe_report(artefacts):
    report = AxeReport(artefacts / "axe-report.json")
    yield report
    report.write()


@pytest.fixture(scope="session")
def chromium(browser_tools):
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def people(request, chromium, site, artefacts, axe_report):
    """Open a browser window for someone: ``people("recruiter")``. Each has its own cookies.

    After a passing journey, every window must have had its pages checked and no script
    errors; after a failing one the windows are only closed, so the first failure stands."""
    opened: list[Actor] = []

    def open_window(who: str) -> Actor:
        actor = Actor(chromium, who, site.base_url, artefacts, axe_report)
        opened.append(actor)
        return actor

    yield open_window
    failed = request.node.stash.get(CALL_FAILED, True)
    problems = []
    for actor in opened:
        if failed:
            actor.save_failure_screenshot(request.node.name)
        problems += actor.close()
    if not failed:
        site.assert_running()
        assert not problems, "\n".join(problems)


NOTES_KEY = pytest.StashKey[list]()


def note(config, line: str) -> None:
    """A line for the end of the run, shown even when everything passed."""
    config.stash.setdefault(NOTES_KEY, []).append(line)


def pytest_terminal_summary(terminalreporter):
    notes = terminalreporter.config.stash.get(NOTES_KEY, [])
    if notes:
        terminalreporter.section("browser journeys")
        for line in notes:
            terminalreporter.write_line(line)
