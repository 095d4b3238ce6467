"""A real Odoo server process with the queue_job runner, for end-to-end tests.

The harness installs the addon once and clones that database for these tests
(``SYNCO_E2E_DB``); this module writes a server configuration next to the
harness's one (prefork workers, ``server_wide_modules = web,queue_job``, a
free HTTP port), starts ``python -m odoo`` in its own process group, and
talks to it over Odoo 19's JSON-2 API with the administrator's API key the
harness generated (beside its configuration, or ``$SYNCO_API_KEY``), like
any external client would.
"""

import copy
import datetime
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from ..harness import psql
from .json2 import Json2, read_api_key

REPO = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def harness_conf():
    conf = os.environ.get("SYNCO_ODOO_CONF")
    db_name = os.environ.get("SYNCO_E2E_DB")
    if not conf or not db_name:
        raise RuntimeError(
            "end-to-end tests need the harness: python3 tests/harness.py test"
        )
    return Path(conf), db_name


class OdooServer:
    """``python -m odoo`` with 2 workers and the job runner, on loopback.

    ``server_wide_modules`` without ``queue_job`` gives a node of a cluster:
    the server spawns no job runner (``OdooCluster`` runs the standalone
    one); ``extra_options`` overrides more ``[options]`` of the configuration.
    """

    def __init__(
        self,
        name="e2e",
        workers=2,
        channels="root:2",
        db_name=None,
        server_wide_modules="base,web,queue_job",
        extra_options=None,
    ):
        base_conf, self.db_name = harness_conf()
        self.db_name = db_name or self.db_name
        self.port = free_port()
        self.conf = base_conf.with_name(f"odoo-{name}.conf")
        self.log_path = base_conf.with_name(f"odoo-{name}.log")
        options = dict(
            line.split(" = ", 1)
            for line in base_conf.read_text().splitlines()[1:]
            if " = " in line
        )
        options.update(
            db_name=self.db_name,
            dbfilter=f"^{self.db_name}$",
            http_port=str(self.port),
            gevent_port=str(free_port()),
            workers=str(workers),
            max_cron_threads="0",
            server_wide_modules=server_wide_modules,
            limit_time_real="120",
            logfile=str(self.log_path),
        )
        options.update(extra_options or {})
        lines = ["[options]", *(f"{k} = {v}" for k, v in options.items())]
        lines += [
            "[queue_job]",
            f"channels = {channels}",
            "host = 127.0.0.1",
            f"port = {self.port}",
        ]
        self.conf.write_text("\n".join(lines) + "\n")
        self.proc = None
        self.url = f"http://127.0.0.1:{self.port}"
        # the harness writes the key beside its configuration
        self.client = Json2(self.url, self.db_name, read_api_key(base_conf.parent))

    def start(self, timeout=90):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), env.get("PYTHONPATH")) if p
        )
        launcher = json.loads(os.environ.get("SYNCO_ODOO_LAUNCHER", "null")) or [
            sys.executable,
            "-m",
            "odoo",
        ]
        self.proc = subprocess.Popen(
            [*launcher, "-c", str(self.conf)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Odoo exited; see {self.log_path}")
            if self.client.ready():
                return self
            time.sleep(0.2)
        raise RuntimeError(f"Odoo did not answer within {timeout} s")

    def through(self, url):
        """A client of this server's database talking to ``url`` instead (a
        proxy in front of it); it starts and stops nothing."""
        proxied = copy.copy(self)
        proxied.url, proxied.proc = url, None
        proxied.client = Json2(url, self.db_name, self.client.api_key)
        return proxied

    def kill(self):
        """SIGKILL the whole process group: workers and runner die mid-job."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def restart_after_kill(self, jobs):
        """Start again and have the runner requeue ``jobs``, which the kill
        left *started*, as soon as queue_job takes them for dead.

        Its runner requeues a started job whose lock is free once the job was
        enqueued 10 s ago (``requeue_dead_jobs``), each time it wakes up: at
        start, when a job changes, or at its next planned wake-up (up to 60 s
        later).  The server starts while those 10 s pass; then a ``NOTIFY``
        on the runner's channel wakes it, as the next job stored would.
        ``jobs`` are ``queue.job`` rows read with ``date_enqueued``.
        """
        latest = max(
            datetime.datetime.fromisoformat(job["date_enqueued"]).replace(
                tzinfo=datetime.UTC
            )
            for job in jobs
        )
        self.start()
        # date_enqueued is cut to the second: 10 s after it, and a margin
        wait = (latest - datetime.datetime.now(datetime.UTC)).total_seconds() + 10.5
        time.sleep(max(0.0, wait))
        conf, _db_name = harness_conf()
        psql(conf, self.db_name, "NOTIFY queue_job")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()

    def call(self, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` as the administrator (JSON-2)."""
        return self.client.call(model, method, *args, **kwargs)

    def deprecation_warnings(self):
        """The log's warnings about the deprecated XML-RPC / JSON-RPC API."""
        if not self.log_path.exists():
            return []
        return [
            line
            for line in self.log_path.read_text(errors="replace").splitlines()
            if "deprecated" in line.lower()
            and any(word in line for word in ("xmlrpc", "jsonrpc", "XML-RPC"))
        ]

    def jobs_done(self, method_name):
        """Whether every queue job of ``method_name`` is done."""
        return all(
            job["state"] == "done"
            for job in self.call(
                "queue.job",
                "search_read",
                [("method_name", "=", method_name)],
                fields=["state"],
            )
        )

    def jobs_report(self, method_name):
        """The queue jobs of ``method_name`` not done, to explain a wait."""
        jobs = self.call(
            "queue.job",
            "search_read",
            [("method_name", "=", method_name), ("state", "!=", "done")],
            fields=["name", "state", "eta", "retry", "result", "exc_info"],
        )
        return "\n".join(
            f"{job['state']} {job['name']} eta={job['eta']} retry={job['retry']}: "
            + ((job["exc_info"] or "").strip().splitlines() or [""])[-1]
            for job in jobs
        )

    def ref(self, xmlid):
        return self.client.ref(xmlid)


def wait_until(predicate, timeout, interval=0.25, what="condition", explain=None):
    """Poll ``predicate`` until it returns a truthy value (bounded).

    ``explain`` returns extra context for the failure message.
    """
    deadline = time.monotonic() + timeout
    last = None
    # quick at first, for what is nearly there, then every ``interval``
    pause = min(interval, 0.05)
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(pause)
        pause = min(interval, pause * 2)
    details = f"\n{explain()}" if explain else ""
    raise AssertionError(
        f"{what} not reached within {timeout} s (last: {last!r}){details}"
    )
