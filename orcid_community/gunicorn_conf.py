"""gunicorn settings for the production stack (docker-compose, `make e2e`, `make bench`)."""

import gc
import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Sync workers: each request holds one database connection; scale with cores.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# A guard against slow leaks: a worker is replaced after this many requests. Serving
# cached pages, one machine answers well over a thousand requests a second, so a low
# number would replace a worker every few seconds (a fork, new database and Redis
# connections, and the requests queued behind it).
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Load the application once in the master and fork warm workers from it. Without this a
# new worker (at start, and each time max_requests recycles one) imports Django, the URL
# patterns, the templates and the translation catalogs on its first requests: up to
# ~1.4 s for those, which showed as a p95 of over a second under load. With it a recycled
# worker answers at once, and the workers share the imported code's memory. The price:
# a HUP reloads configuration but not code (deploys restart the container anyway), and
# nothing may open a database connection at import time (nothing does; pre_fork closes
# any to be sure, so no two processes ever share one).
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() not in ("0", "false", "no")

_warmed = False


def pre_fork(server, worker):
    """Before the first fork: warm what every worker would otherwise load on first use."""
    global _warmed
    if not preload_app or _warmed:
        return
    _warmed = True
    try:
        # Imported here: gunicorn reads this file before it loads the application (Django).
        from orcid_community.warmup import warm_up

        warm_up()
    except Exception:  # a failed warm-up only costs speed, never the start
        server.log.exception("warm-up failed; workers start cold")
    # Move everything loaded so far out of the garbage collector's sight: its passes
    # would otherwise touch (and so copy) every preloaded object in every forked worker.
    gc.freeze()
