"""gunicorn settings for RecruitCare.

    gunicorn -c deploy/gunicorn.conf.py 'recruitcare:create_app()'

Each value can be overridden from the environment, so one file serves every machine.
RecruitCare writes its own structured line per request (with the token of candidate links
redacted), so gunicorn's access log is off; its error log still goes to stderr, filtered
the same way.
"""

import multiprocessing
import os

bind = os.environ.get("RECRUITCARE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(4, multiprocessing.cpu_count() * 2)))
threads = int(os.environ.get("GUNICORN_THREADS", 1))
timeout = 30
graceful_timeout = 30
keepalive = 5
# Behind a TLS-terminating proxy on the same machine: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
