"""`make serve`: RecruitCare as it runs in production, on this machine.

gunicorn with several workers and the production settings, on PostgreSQL, with the outbox
worker beside it. Without RECRUITCARE_SQLALCHEMY_DATABASE_URI it starts a throwaway
PostgreSQL (scripts/with_postgres.py) and seeds the demo organisation; mail goes to
instance/mail unless RECRUITCARE_MAIL_BACKEND=smtp is set. Ctrl-C stops everything.
"""

import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> int:
    env = dict(os.environ)
    if not env.get("RECRUITCARE_SQLALCHEMY_DATABASE_URI"):
        if not env.get("RECRUITCARE_TEST_DATABASE_URI"):
            helper = ROOT / "scripts" / "with_postgres.py"
            return subprocess.call([sys.executable, helper, sys.executable, __file__])
        env["RECRUITCARE_SQLALCHEMY_DATABASE_URI"] = env["RECRUITCARE_TEST_DATABASE_URI"]
    port = env.get("PORT", "8000")
    env.setdefault("RECRUITCARE_ENV", "production")
    env.setdefault("RECRUITCARE_SECRET_KEY", secrets.token_urlsafe(48))
    env.setdefault("RECRUITCARE_BASE_URL", f"http://127.0.0.1:{port}")
    env.setdefault("RECRUITCARE_MAIL_BACKEND", "file")
    env.setdefault("RECRUITCARE_BIND", f"127.0.0.1:{port}")
    env.setdefault("WEB_CONCURRENCY", "3")
    flask = [str(BIN / "flask"), "--app", "recruitcare"]
    subprocess.run([*flask, "db", "upgrade"], check=True, env=env, cwd=ROOT)
    subprocess.run([*flask, "demo", "seed"], check=True, env=env, cwd=ROOT)
    worker = subprocess.Popen([*flask, "outbox", "run"], env=env, cwd=ROOT)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "recruitcare:create_app()"],
        env=env,
        cwd=ROOT,
    )
    print(
        f"RecruitCare (production settings, {env['WEB_CONCURRENCY']} workers) on "
        f"http://127.0.0.1:{port}; Ctrl-C stops it.",
        flush=True,
    )

    def stop(*_):
        for process in (server, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = server.wait()
    stop()
    worker.wait(timeout=60)
    return code


if __name__ == "__main__":
    sys.exit(main())
