"""Two Odoo nodes on one database, behind nginx, with the standalone job runner.

queue_job's multi-node setup, as its README documents it: the nodes run
without ``queue_job`` in ``server_wide_modules`` (so none starts a runner of
its own), one ``python -m odoo.addons.queue_job.jobrunner`` process watches
the database and dispatches each job with an HTTP GET to the load balancer,
which hands it to either node.  Debian's nginx runs in the foreground as our
child, with its configuration, pid file and logs in the run folder; its
access log names the node (``$upstream_addr``) of every request.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from .odoo_server import REPO, OdooServer, free_port, wait_until

NGINX_CONF = """\
daemon off;
{user}worker_processes 1;
pid {run}/nginx.pid;
error_log {run}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$msec $upstream_addr $status $request_method $request_uri';
    access_log {run}/nginx-access.log upstream;
    client_body_temp_path {run}/tmp/body;
    proxy_temp_path {run}/tmp/proxy;
    fastcgi_temp_path {run}/tmp/fastcgi;
    uwsgi_temp_path {run}/tmp/uwsgi;
    scgi_temp_path {run}/tmp/scgi;
    client_max_body_size 64m;
    upstream odoo {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port} backlog={backlog};
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $http_host;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_read_timeout {read_timeout}s;
        # the job runner hangs up after 1 s on purpose: the job must still run
        proxy_ignore_client_abort on;
        # a node that refuses the connection is skipped; a request it took is
        # never sent again to the other node (a webhook or a job twice)
        proxy_next_upstream error;
        location / {{ proxy_pass http://odoo; }}
    }}
}}
"""


class OdooCluster:
    """``nodes`` Odoo servers, nginx round robin, the standalone job runner.

    ``call`` goes through nginx, like every client of a real deployment.
    """

    def __init__(
        self,
        name="cluster",
        nodes=2,
        workers=2,
        channels="root:2",
        db_name=None,
        port=None,
        backlog=511,
    ):
        self.nodes = [
            OdooServer(
                name=f"{name}-node{number}",
                workers=workers,
                db_name=db_name,
                server_wide_modules="base,web",
                extra_options={"proxy_mode": "True"},
            )
            for number in range(1, nodes + 1)
        ]
        self.db_name = self.nodes[0].db_name
        self.channels = channels
        self.backlog = backlog
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.run_dir = self.nodes[0].conf.with_name(f"{name}-run")
        self.access_log = self.run_dir / "nginx-access.log"
        self.runner_log = self.run_dir / "jobrunner.log"
        self.nginx = self.runner = self.client = None

    # ------------------------------------------------------------ lifecycle
    def start(self, timeout=120):
        shutil.rmtree(self.run_dir, ignore_errors=True)
        (self.run_dir / "tmp").mkdir(parents=True)
        try:
            self._start_nodes(timeout)
            self._start_nginx()
            self.client = self.nodes[0].through(self.url)
            self._start_runner()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_nodes(self, timeout):
        """Start the nodes side by side (each loads the registry)."""
        errors = []

        def start(node):
            try:
                node.start(timeout=timeout)
            except Exception as error:
                errors.append(error)

        threads = [threading.Thread(target=start, args=(n,)) for n in self.nodes]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise errors[0]

    def _start_nginx(self):
        conf = self.run_dir / "nginx.conf"
        # as root, nginx's workers would drop to nobody, who can't enter a
        # private run folder; on loopback, in a test rig, they stay root
        user = "user root;\n" if os.geteuid() == 0 else ""
        servers = "\n".join(
            f"        server 127.0.0.1:{node.port};" for node in self.nodes
        )
        conf.write_text(
            NGINX_CONF.format(
                user=user,
                run=self.run_dir,
                servers=servers,
                port=self.port,
                backlog=self.backlog,
                read_timeout=720,
            )
        )
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.nginx = subprocess.Popen(
            [nginx, "-p", str(self.run_dir), "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self.run_dir / "nginx-stderr.log").open("w"),
            start_new_session=True,
        )
        wait_until(
            lambda: self._answers() or self._died(self.nginx, "nginx"),
            20,
            what="nginx listening",
        )

    def _answers(self):
        address = ("127.0.0.1", self.port)
        with contextlib.suppress(OSError), socket.create_connection(address, 1):
            return True
        return False

    def _died(self, proc, what):
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited; see {self.run_dir}")
        return False

    def _start_runner(self):
        """queue_job's runner on its own, dispatching through nginx.

        On Odoo 19 it parses no command line (``parse_config()`` without
        arguments): its configuration file comes from ``ODOO_RC``, the rest
        from ``ODOO_QUEUE_JOB_*``.
        """
        conf = self.run_dir / "jobrunner.conf"
        options = [
            line
            for line in self.nodes[0]
            .conf.read_text()
            .split("[queue_job]")[0]
            .strip()
            .splitlines()
            if not line.startswith("logfile = ")
        ]
        conf.write_text("\n".join([*options, f"logfile = {self.runner_log}"]) + "\n")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(REPO), env.get("PYTHONPATH")) if p
        )
        env.update(
            ODOO_RC=str(conf),
            ODOO_QUEUE_JOB_CHANNELS=self.channels,
            ODOO_QUEUE_JOB_SCHEME="http",
            ODOO_QUEUE_JOB_HOST="127.0.0.1",
            ODOO_QUEUE_JOB_PORT=str(self.port),
        )
        self.runner = subprocess.Popen(
            [sys.executable, "-m", "odoo.addons.queue_job.jobrunner"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=(self.run_dir / "jobrunner-stderr.log").open("w"),
            start_new_session=True,
        )
        wait_until(
            lambda: (
                "queue job runner ready" in self._read(self.runner_log)
                or self._died(self.runner, "the job runner")
            ),
            60,
            what="the job runner ready",
        )

    @staticmethod
    def _read(path):
        with contextlib.suppress(OSError):
            return Path(path).read_text(errors="replace")
        return ""

    def stop(self):
        """Runner first (no new dispatch), then nginx, then the nodes."""
        for proc in (self.runner, self.nginx):
            if proc and proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(10)
        for node in self.nodes:
            node.stop()

    # --------------------------------------------------------------- client
    def call(self, model, method, *args, **kwargs):
        return self.client.call(model, method, *args, **kwargs)

    def ref(self, xmlid):
        return self.client.ref(xmlid)

    # ---------------------------------------------------------- diagnostics
    def requests(self):
        """nginx's access log: dicts of time, node (index), status, method, uri."""
        by_port = {str(node.port): index for index, node in enumerate(self.nodes)}
        entries = []
        for line in self._read(self.access_log).splitlines():
            stamp, upstream, status, method, uri = line.split(" ", 4)
            entries.append(
                {
                    "time": float(stamp),
                    "node": by_port.get(upstream.rsplit(":", 1)[-1]),
                    "status": status,
                    "method": method,
                    "uri": uri,
                }
            )
        return entries

    def node_of_pid(self, pid):
        """The index of the node whose process group ``pid`` belongs to."""
        with contextlib.suppress(OSError):
            group = os.getpgid(pid)
            for index, node in enumerate(self.nodes):
                if node.proc and node.proc.pid == group:
                    return index
        return None

    def wait_idle(self, timeout=120):
        """Until no queue job is pending, enqueued or started."""
        return wait_until(
            lambda: (
                not self.call(
                    "queue.job",
                    "search_count",
                    [
                        (
                            "state",
                            "in",
                            ["wait_dependencies", "pending", "enqueued", "started"],
                        )
                    ],
                )
            ),
            timeout,
            interval=0.5,
            what="every job done",
        )

    def alive(self):
        """Whether every process of the cluster still runs."""
        procs = [self.runner, self.nginx, *(node.proc for node in self.nodes)]
        return all(proc and proc.poll() is None for proc in procs)
