"""Run a command against a throwaway PostgreSQL server, then stop it, also on failure.

Finds Debian's PostgreSQL binaries (installing the ``postgresql`` package when missing),
runs ``initdb`` in a temporary directory, starts the server on a free loopback port and
passes the database URL to the command as RECRUITCARE_TEST_DATABASE_URI.

    python scripts/with_postgres.py pytest -q
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path


def find_bin_dir() -> Path | None:
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def install_postgres() -> None:
    print("PostgreSQL binaries not found: installing Debian's postgresql package.", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(
        [*sudo, "apt-get", "install", "-y", "-q", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: with_postgres.py COMMAND [ARGS...]", file=sys.stderr)
        return 2
    bin_dir = find_bin_dir()
    if bin_dir is None:
        install_postgres()
        bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL binaries are still missing after installing.", file=sys.stderr)
        return 1

    # initdb refuses to run as root: run the server as the postgres system user then.
    run_as = {}
    if os.geteuid() == 0:
        run_as = {"user": "postgres", "group": pwd.getpwnam("postgres").pw_gid}
    tmp = Path(tempfile.mkdtemp(prefix="recruitcare-pg-"))
    if run_as:
        os.chown(tmp, pwd.getpwnam("postgres").pw_uid, run_as["group"])
    data, log = tmp / "data", tmp / "server.log"
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL}
    started = False

    def stop(*_):
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, stop)
    try:
        subprocess.run(
            [
                bin_dir / "initdb",
                "-D",
                data,
                "-U",
                "recruitcare",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
            ],
            check=True,
            **run_as,
            **quiet,
        )
        options = (
            f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            [bin_dir / "pg_ctl", "-D", data, "-o", options, "-l", log, "-w", "start"],
            check=True,
            **run_as,
            **quiet,
        )
        started = True
        subprocess.run(
            [
                bin_dir / "createdb",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "recruitcare",
                "recruitcare_test",
            ],
            check=True,
            **run_as,
        )
        url = f"postgresql+psycopg://recruitcare@127.0.0.1:{port}/recruitcare_test"
        print(f"PostgreSQL {bin_dir.parent.name} running on 127.0.0.1:{port}", flush=True)
        env = dict(os.environ, RECRUITCARE_TEST_DATABASE_URI=url)
        return subprocess.call(argv, env=env)
    finally:
        if started:
            subprocess.run(
                [bin_dir / "pg_ctl", "-D", data, "-m", "fast", "-w", "stop"],
                **run_as,
                **quiet,
            )
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
