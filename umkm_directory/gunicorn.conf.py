"""Production gunicorn settings: `gunicorn -c umkm_directory/gunicorn.conf.py`.

Every value can be changed from the environment (docs/deploy.md). Sync
workers suit this site: requests are short database reads; slow clients are
buffered by the reverse proxy in front, never by a worker.
"""

import multiprocessing
import os

wsgi_app = "umkm_directory.wsgi:application"

# Loopback by default: the reverse proxy (nginx) in front is the only client.
bind = [os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"]

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count()))
worker_class = "sync"

# Recycle each worker after a while, at staggered moments, so a slow leak
# never grows and the workers never all restart together. Rarely: a worker
# keeps warm state a restart throws away (with the default local-memory
# cache, its page cache; always, its compiled templates and prepared
# queries), and its memory is bounded anyway (the cache holds at most
# MAX_ENTRIES; the benchmark measures it flat over hundreds of thousands of
# requests). At 2,000 a busy worker restarted every second or two under
# load; at 50,000 a worker still restarted in the middle of a benchmark run,
# its page cache cold for the shoppers' mix (docs/performance.md).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "500000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "50000"))

# A request that takes longer than this is stuck: the worker is replaced.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Load Django once in the master; workers fork from it and start quickly.
# Database connections are opened per worker, after the fork.
preload_app = True

# The proxy logs requests; gunicorn's own access log is off unless asked for
# with GUNICORN_ACCESS_LOG=- (stdout) or a file path. Errors go to stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Trust X-Forwarded-* only from the proxy on this machine.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
