"""Make sure the browser journeys can run: Debian's Chromium and axe-core from npm.

Installs the ``chromium`` package when /usr/bin/chromium is missing (``apt-get update`` once,
then ``apt-get install -y chromium``, through ``sudo`` when not root), and fetches axe-core
into .cache/axe (git-ignored) with npm, installing Debian's ``npm`` the same way if needed.
Playwright's own browser download is never used. Prints one readable line and exits 1 when
something cannot be had; exits 0 at once when RECRUITCARE_SKIP_E2E is set.

    python scripts/ensure_browser.py
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# Pinned so that a new axe release cannot turn the suite red overnight; raise it on purpose.
AXE_VERSION = "4.14.1"
AXE_PREFIX = ROOT / ".cache" / "axe"
AXE_SCRIPT = AXE_PREFIX / "node_modules" / "axe-core" / "axe.min.js"


class Unavailable(Exception):
    """Something the journeys need cannot be installed here."""


def skip_requested() -> bool:
    return os.environ.get("RECRUITCARE_SKIP_E2E", "") not in ("", "0")


def _run(command: list[str], what: str, env: dict[str, str] | None = None) -> None:
    try:
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except OSError as error:
        raise Unavailable(f"{what}: {error.strerror or error}") from error
    if done.returncode != 0:
        output = (done.stderr or done.stdout).strip().splitlines()
        last = output[-1] if output else f"exit status {done.returncode}"
        raise Unavailable(f"{what} failed: {last}")


_apt_updated = False


def apt_install(package: str, why: str) -> None:
    """``apt-get install -y PACKAGE``, after one ``apt-get update`` per run."""
    global _apt_updated
    sudo = []
    if os.geteuid() != 0:
        if not shutil.which("sudo"):
            raise Unavailable(f"{why} and installing {package} needs root or sudo")
        sudo = ["sudo", "-n"]
    if not shutil.which("apt-get"):
        raise Unavailable(f"{why} and this machine has no apt-get to install {package}")
    print(f"{why}: installing Debian's {package} package.", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _apt_updated:
        _run([*sudo, "apt-get", "update", "-q"], "apt-get update", env)
        _apt_updated = True
    _run([*sudo, "apt-get", "install", "-y", "-q", package], f"apt-get install {package}", env)


def ensure_chromium() -> str:
    if CHROMIUM.exists():
        return f"Chromium at {CHROMIUM}"
    apt_install("chromium", "Chromium is missing")
    if not CHROMIUM.exists():
        raise Unavailable(f"the chromium package installed but {CHROMIUM} is still missing")
    return f"Chromium installed at {CHROMIUM}"


def installed_axe_version() -> str | None:
    manifest = AXE_SCRIPT.parent / "package.json"
    if not AXE_SCRIPT.exists() or not manifest.exists():
        return None
    try:
        return json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except ValueError:
        return None


def ensure_axe() -> str:
    if installed_axe_version() == AXE_VERSION:
        return f"axe-core {AXE_VERSION} in {AXE_PREFIX.relative_to(ROOT)}"
    if shutil.which("npm") is None:
        apt_install("npm", "npm is missing")
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is still missing after installing it")
    AXE_PREFIX.mkdir(parents=True, exist_ok=True)
    _run(
        [
            npm,
            "install",
            "--no-save",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            "--prefix",
            str(AXE_PREFIX),
            f"axe-core@{AXE_VERSION}",
        ],
        f"npm install axe-core@{AXE_VERSION}",
    )
    if installed_axe_version() != AXE_VERSION:
        raise Unavailable(f"npm ran but {AXE_SCRIPT.relative_to(ROOT)} is still missing")
    return f"axe-core {AXE_VERSION} fetched into {AXE_PREFIX.relative_to(ROOT)}"


def main() -> int:
    if skip_requested():
        print("Browser journeys skipped (RECRUITCARE_SKIP_E2E is set).")
        return 0
    try:
        found = [ensure_chromium(), ensure_axe()]
    except Unavailable as problem:
        print(f"Cannot run the browser journeys: {problem}.", file=sys.stderr)
        return 1
    print("Browser journeys ready: " + "; ".join(found) + ".")
    return 0


if __name__ == "__main__":
    sys.exit(main())
