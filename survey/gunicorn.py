"""Gunicorn settings, every value from the environment: `gunicorn -c python:survey.gunicorn survey.wsgi`."""

from __future__ import annotations

from typing import Any

from survey.env import env_bool, env_int, env_str
from survey.logs import MaskLinkTokens

# Loopback unless told otherwise: on a server the load balancer or a local proxy is
# the only client, and GUNICORN_BIND=0.0.0.0:8000 is an explicit choice.
bind = env_str("GUNICORN_BIND", "127.0.0.1:8000")
# Threads let a worker overlap its database waits; on 2 cores, 2 workers × 4 threads
# keeps CPU busy without queueing many requests on the GIL.
workers = env_int("WEB_CONCURRENCY", 2, minimum=1)
threads = env_int("GUNICORN_THREADS", 4, minimum=1)
# Under the load balancer's idle timeout, and above the slowest legitimate request
# (an export built inline, a submit waiting on SQLite's write lock for up to 20 s).
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 30, minimum=1)
keepalive = env_int("GUNICORN_KEEPALIVE", 5, minimum=0)
# Recycling a worker now and then bounds any slow leak (LD-3's RSS growth); the jitter
# keeps the workers from restarting together.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 200, minimum=0)
# The heartbeat file on tmpfs: a worker blocked on a slow disk is not killed for it.
worker_tmp_dir = env_str("GUNICORN_WORKER_TMP_DIR", "/dev/shm")
# Only the TLS-terminating proxy may say a request came over HTTPS (X-Forwarded-Proto);
# Django's BEHIND_TLS_PROXY trusts the header once gunicorn passes it on.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")
# Logs go to stdout/stderr for the process manager; the access line carries the status
# and the time taken in milliseconds, which the load harness reads, then the response's
# X-Request-ID (survey.middleware.RequestIdMiddleware), the ID its audit lines carry;
# "-" for a response Django did not make.
accesslog = env_str("GUNICORN_ACCESS_LOG", "-") or None
errorlog = env_str("GUNICORN_ERROR_LOG", "-")
loglevel = env_str("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms %({x-request-id}o)s'
# Loading the app before forking shares its memory between workers; off by default so
# that a reload (HUP) picks up new code.
preload_app = env_bool("GUNICORN_PRELOAD", default=False)
# gunicorn 27's control socket (gunicornc) is a way in that nothing here uses, and its
# default path in the home folder is one that every gunicorn of the same user shares.
control_socket_disable = not env_bool("GUNICORN_CONTROL_SOCKET", default=False)


def post_worker_init(worker: Any) -> None:
    # The access line names the path, and an invitation or reset link's path is its
    # secret: masked as Django's own log lines are (survey.logs).
    worker.log.access_log.addFilter(MaskLinkTokens())
