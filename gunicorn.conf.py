"""gunicorn settings; `gunicorn wsgi:app` run from this folder reads them.

Command-line options and the GUNICORN_CMD_ARGS environment variable override
any of them.
"""

import os

bind = os.environ.get("ASSISTANT_BIND", "127.0.0.1:8000")
# Two workers per core, and two threads each, so a turn is served while another
# waits on a commit or on the child process that reads an upload (measured in
# bench/bench_chat.py).
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
worker_class = "gthread"
threads = 2
# gthread closes an idle keep-alive connection without looking for a request
# already on its way, so a client reusing it gets a reset (benoitc/gunicorn#1698).
# Idle connections are closed by the load balancer first when ours outlasts its
# idle timeout (60 s on the common ones).
keepalive = 75
# Reading a scanned bill can take a few seconds on a busy server.
timeout = 60
graceful_timeout = 20
