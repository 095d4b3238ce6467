#!/usr/bin/env python3
"""Run the project's tests, demo and benchmarks on real Odoo 19.0 and PostgreSQL.

Usage (from anywhere)::

    python3 tests/harness.py test [PYTEST ARGS...]  # every test, fresh cluster
    python3 tests/harness.py demo                   # Odoo, demo data, simulator
    python3 tests/harness.py cluster                # 2 nodes, nginx, job runner
    python3 tests/harness.py bench NAME [ARGS...]   # one of tests/benchmarks/

How Odoo is found: ``$ODOO_PATH`` when set (an Odoo 19.0 source checkout, put
on ``PYTHONPATH``), otherwise the ``odoo`` package importable by the Python that
runs this script (for example after ``pip install -e /path/to/odoo``).  Its
``addons/`` folder (``stock``, ``sale_stock`` ...) is found next to the package
by Odoo itself; ``queue_job`` comes from PyPI.

PostgreSQL is private to each run: ``initdb`` into a folder of our own, a server
on a free loopback port and a Unix socket in that folder, stopped on the way
out whatever happens.  The server refuses to run as root, so as root the
cluster belongs to the ``postgres`` system user.

Scripts call Odoo through its JSON-2 API (``tests/support/json2.py``): each prepared
database gets an API key of ``admin``, written beside its configuration as
``admin-api-key`` and given to tests and benchmarks as ``$SYNCO_API_KEY``.
"""

import argparse
import contextlib
import functools
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script (python3 tests/harness.py):
    # the repository on sys.path, not tests/, whose odoo/ would shadow Odoo
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
from tests.support import json2

REPO = Path(__file__).resolve().parent.parent
STATE = REPO / ".synco"
DB_USER = "synco"
REQUIREMENTS = REPO / "tests" / "requirements.txt"
ADDON = "synco_shopify"
# the tests and benchmarks also cover the bridges, which bring mrp and
# product_expiry; the demo stays on the addon alone and starts faster
BRIDGES = ("synco_shopify_mrp", "synco_shopify_product_expiry")
ALL_ADDONS = (ADDON, *BRIDGES)


def log(msg):
    print(f"[synco] {msg}", flush=True)


def die(msg, code=2):
    print(f"[synco] ERROR: {msg}", file=sys.stderr, flush=True)
    sys.exit(code)


# --------------------------------------------------------------------------- Odoo
def odoo_env():
    """Environment for child processes, with ``$ODOO_PATH`` on PYTHONPATH."""
    env = dict(os.environ)
    paths = [str(REPO)]
    if os.environ.get("ODOO_PATH"):
        paths.insert(0, os.environ["ODOO_PATH"])
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def run_python(code, check=False):
    """Run ``code`` in a fresh interpreter that sees Odoo as the scripts do."""
    return subprocess.run(
        [sys.executable, "-c", code],
        check=check,
        env=odoo_env(),
        capture_output=True,
        text=True,
    )


def check_odoo():
    """Stop at once, saying where we looked, when Odoo 19.0 can't be imported."""
    probe = (
        "import odoo.release as r, odoo.addons as a, os;"
        "print(r.serie, next((p for p in a.__path__ if os.path.exists("
        "os.path.join(p, 'stock', '__manifest__.py'))), '-'))"
    )
    res = run_python(probe)
    where = (
        f"ODOO_PATH={os.environ['ODOO_PATH']!r}"
        if os.environ.get("ODOO_PATH")
        else f"the Python packages of {sys.executable} (ODOO_PATH is not set)"
    )
    if res.returncode != 0:
        die(
            "Odoo 19.0 cannot be imported. Looked in "
            f"{where}.\nInstall Odoo 19.0 first (see README.rst, 'Prerequisites'): "
            "'pip install -e /path/to/odoo' or set ODOO_PATH to its source folder."
            f"\nPython said: {res.stderr.strip().splitlines()[-1:]}",
        )
    serie, root = res.stdout.split()
    if serie != "19.0":
        die(f"Found Odoo {serie} in {where}; this addon needs Odoo 19.0.")
    if root == "-":
        die(
            f"Odoo 19.0 found in {where}, but none of its addons folders has the "
            "'stock' module: use a full Odoo source checkout."
        )
    log(f"Odoo {serie}, addons in {root}")
    return root


def ensure_python_deps():
    """Install the project's own Python dependencies (no-op when present)."""
    log(f"checking Python dependencies ({REQUIREMENTS.relative_to(REPO)})")
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(REQUIREMENTS),
        ],
        check=False,
        capture_output=True,
        text=True,
    )
    if res.returncode != 0:
        die(f"pip could not install {REQUIREMENTS}:\n{res.stdout}{res.stderr}")


# The system programs the tests run, by Debian package: Chromium drives the
# browser tours, nginx fronts the two-node cluster.  A fresh machine has
# neither, so the test command installs them (as root on Debian) or stops at
# once naming them: a missing one would otherwise surface as one failed test
# after minutes, or, worse, as a skip.
SYSTEM_PACKAGES = {
    "chromium": ("chromium", "google-chrome"),
    "nginx": ("nginx", "/usr/sbin/nginx"),
}


def _has_program(names):
    return any(shutil.which(name) or Path(name).is_file() for name in names)


def ensure_system_packages(packages=tuple(SYSTEM_PACKAGES)):
    """Install the Debian ``packages`` whose programs are missing, or stop."""
    missing = [pkg for pkg in packages if not _has_program(SYSTEM_PACKAGES[pkg])]
    if not missing:
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log(f"installing Debian's {' and '.join(missing)} for the tests")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env=env,
        )
    still = [pkg for pkg in missing if not _has_program(SYSTEM_PACKAGES[pkg])]
    if still:
        die(f"the tests need {', '.join(still)}: apt-get install {' '.join(still)}")


# --------------------------------------------------------------------- PostgreSQL
def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bindir():
    for cand in [os.environ.get("PG_BINDIR")]:
        if cand and Path(cand, "initdb").exists():
            return Path(cand)
    if shutil.which("pg_config"):
        out = subprocess.run(
            ["pg_config", "--bindir"], check=False, capture_output=True, text=True
        ).stdout.strip()
        if Path(out, "initdb").exists():
            return Path(out)
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    die("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql")


def pg_datadir(workdir):
    """Where the cluster of ``workdir`` lives: inside it, when the server's
    user can reach it.

    As root the cluster belongs to the ``postgres`` user, who can't enter a
    checkout under a private home folder (``/root`` is 0700): the cluster then
    lives in ``/var/tmp/synco-<hash of the folder>/pg``, kept between runs
    like the folder itself.
    """
    datadir = workdir / "pg"
    if os.geteuid() != 0:
        return datadir
    reachable = subprocess.run(
        ["runuser", "-u", "postgres", "--", "test", "-x", str(workdir)],
        check=False,
    )
    if reachable.returncode == 0:
        return datadir
    digest = hashlib.sha1(str(workdir.resolve()).encode()).hexdigest()[:10]
    elsewhere = Path("/var/tmp") / f"synco-{digest}" / "pg"
    log(f"the postgres user can't enter {workdir}: cluster kept in {elsewhere}")
    elsewhere.parent.mkdir(mode=0o755, exist_ok=True)
    return elsewhere


class PrivatePostgres:
    """A PostgreSQL cluster in a folder of ours, on a free loopback port."""

    def __init__(self, datadir, port=None):
        self.datadir = Path(datadir)
        self.port = port or free_port()
        self.bindir = pg_bindir()
        self.as_root = os.geteuid() == 0

    def _run(self, *cmd, **kw):
        if self.as_root:
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
        return subprocess.run(cmd, check=True, **kw)

    def start(self):
        try:
            return self._start()
        except subprocess.CalledProcessError as exc:
            log_file = self.datadir / "server.log"
            tail = ""
            with contextlib.suppress(OSError):
                tail = "\n".join(log_file.read_text().splitlines()[-15:])
            tool = next(
                (Path(c).name for c in exc.cmd if str(c).startswith(str(self.bindir))),
                "PostgreSQL",
            )
            die(
                f"PostgreSQL could not start in {self.datadir} ({tool} exited "
                f"with {exc.returncode}).\n{tail}"
            )

    def _start(self):
        if (self.datadir / "postmaster.pid").exists():
            # a run killed before it could stop its server: stop it now
            log(f"stopping a PostgreSQL left running in {self.datadir}")
            self.stop()
        if not (self.datadir / "PG_VERSION").exists():
            self.datadir.mkdir(parents=True, exist_ok=True)
            if self.as_root:
                shutil.chown(self.datadir, "postgres", "postgres")
            self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.datadir),
                "-U",
                DB_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                stdout=subprocess.DEVNULL,
            )
        opts = (
            f"-p {self.port} -k {self.datadir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.datadir),
            "-o",
            opts,
            "-l",
            str(self.datadir / "server.log"),
            "-w",
            "start",
            stdout=subprocess.DEVNULL,
        )
        log(f"PostgreSQL {self.datadir} on 127.0.0.1:{self.port}")
        return self

    def stop(self):
        with contextlib.suppress(Exception):
            self._run(
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-m",
                "fast",
                "-w",
                "stop",
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            log("PostgreSQL stopped")


def write_odoo_conf(path, pg, db_name, data_dir, **extra):
    options = {
        "addons_path": REPO,
        "data_dir": data_dir,
        "db_host": "127.0.0.1",
        "db_port": pg.port,
        "db_user": DB_USER,
        "db_name": db_name,
        "dbfilter": f"^{db_name}$",
        "list_db": False,
        "admin_passwd": "synco-admin",
        "max_cron_threads": 0,
        "http_interface": "127.0.0.1",
        **extra,
    }
    lines = ["[options]", *(f"{k} = {v}" for k, v in options.items())]
    Path(path).write_text("\n".join(lines) + "\n")
    return path


@functools.cache
def odoo_launcher():
    """A script path for Odoo's server, not ``-m odoo``.

    The prefork server re-executes ``sys.argv`` for its websocket process,
    which fails when ``argv[0]`` is the package's ``__main__.py``.
    """
    probe = "import odoo, os; print(os.path.dirname(list(odoo.__path__)[0]))"
    root = run_python(probe, check=True).stdout.strip()
    for script in (Path(root) / "odoo-bin", Path(sys.executable).parent / "odoo"):
        if script.exists():
            return [sys.executable, str(script)]
    return [sys.executable, "-m", "odoo"]


def odoo_cmd(conf, *args):
    return [*odoo_launcher(), "-c", str(conf), *args]


def read_conf(conf):
    """The options of an Odoo configuration file written by write_odoo_conf."""
    return dict(
        line.split(" = ", 1) for line in Path(conf).read_text().splitlines()[1:]
    )


def psql(conf, db_name, query):
    """One value from a query, through psql on the private cluster."""
    options = read_conf(conf)
    return subprocess.run(
        [
            str(pg_bindir() / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            options["db_port"],
            "-U",
            DB_USER,
            "-d",
            db_name,
            "-tAc",
            query,
        ],
        check=False,
        capture_output=True,
        text=True,
    ).stdout.strip()


def install_addon(conf, db_name, demo=False, addons=(ADDON,)):
    names = ",".join(addons)
    log(f"creating database {db_name} and installing {names} (about 2 min)")
    t0 = time.time()
    args = ["-d", db_name, "-i", names, "--stop-after-init"]
    args += ["--with-demo"] if demo else ["--without-demo"]
    res = subprocess.run(
        odoo_cmd(conf, *args, "--log-level=warn"), check=False, env=odoo_env()
    )
    if res.returncode != 0:
        die(f"installing {names} failed (see the log above)", res.returncode)
    if demo and not psql(
        conf,
        db_name,
        "SELECT 1 FROM ir_model_data WHERE module='synco_shopify' AND name='demo_shop'",
    ):
        # Odoo only warns when demo data fails and installs the module anyway
        die("the demo data of synco_shopify failed to load (see the log above)")
    log(f"installed in {time.time() - t0:.0f} s")


@contextlib.contextmanager
def private_stack(
    workdir, db_name, demo=False, reuse=False, addons=(ADDON,), **conf_extra
):
    """PostgreSQL running, Odoo config written, addons installed; stops PG after.

    A reused database has ``addons`` updated, and those it lacks installed.
    """
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    pg = PrivatePostgres(pg_datadir(workdir))
    pg.start()
    try:
        conf = write_odoo_conf(
            workdir / "odoo.conf", pg, db_name, workdir / "data", **conf_extra
        )
        exists = psql(
            conf,
            "postgres",
            f"SELECT 1 FROM pg_database WHERE datname='{db_name}'",
        )
        if not exists:
            install_addon(conf, db_name, demo=demo, addons=addons)
        elif reuse:
            installed = psql(
                conf,
                db_name,
                "SELECT string_agg(name, ',') FROM ir_module_module "
                "WHERE state = 'installed'",
            ).split(",")
            update = [a for a in addons if a in installed]
            install = [a for a in addons if a not in installed]
            log(
                f"reusing database {db_name}: updating {','.join(update) or '-'}"
                f", installing {','.join(install) or '-'}"
            )
            args = ["-u", ",".join(update)] if update else []
            args += ["-i", ",".join(install)] if install else []
            res = subprocess.run(
                odoo_cmd(
                    conf,
                    "-d",
                    db_name,
                    *args,
                    "--stop-after-init",
                    "--log-level=warn",
                ),
                check=False,
                env=odoo_env(),
            )
            if res.returncode:
                die(f"updating {','.join(addons)} failed", res.returncode)
        ensure_api_key(conf, db_name, workdir)
        yield pg, conf
    finally:
        pg.stop()


def ensure_api_key(conf, db_name, workdir):
    """The administrator's API key for the scripts' JSON-2 calls.

    Kept in ``workdir/admin-api-key`` (readable by its owner only) and
    generated again, by Odoo's own ``res.users.apikeys._generate``, when the
    file is missing or the database does not know the key (a new database).
    Databases cloned from this one share it.
    """
    path = Path(workdir) / json2.KEY_FILE
    key = path.read_text().strip() if path.exists() else ""
    if key and psql(
        conf,
        db_name,
        "SELECT 1 FROM res_users_apikeys WHERE user_id = 2 "
        f"AND index = '{key[:8]}' AND name = '{json2.KEY_NAME}'",
    ):
        return key
    res = subprocess.run(
        [sys.executable, "-c", json2.GENERATE_KEY, str(conf), db_name, json2.KEY_NAME],
        check=False,
        env=odoo_env(),
        capture_output=True,
        text=True,
    )
    if res.returncode:
        die(f"generating the administrator's API key failed:\n{res.stderr}")
    key = res.stdout.strip().splitlines()[-1]
    path.touch(mode=0o600)
    path.write_text(key + "\n")
    log(f"API key of admin for JSON-2 calls written to {path}")
    return key


def clone_database(conf, source, target):
    """A copy of the freshly installed database for the end-to-end tests.

    They run a real Odoo server that commits, so they get a database of their
    own; copying the template (and its filestore) takes a second where a
    second installation would take a minute.
    """
    psql(conf, "postgres", f'DROP DATABASE IF EXISTS "{target}"')
    psql(conf, "postgres", f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    data_dir = Path(
        dict(line.split(" = ", 1) for line in Path(conf).read_text().splitlines()[1:])[
            "data_dir"
        ]
    )
    filestore = data_dir / "filestore"
    if (filestore / source).exists():
        shutil.rmtree(filestore / target, ignore_errors=True)
        shutil.copytree(filestore / source, filestore / target)
    return target


# -------------------------------------------------------------------- commands
class Shard:
    """One pytest process of the test command, its output prefixed and streamed.

    The harness runs the three kinds of test of ``tests/support/shards.py`` side by
    side: the plain ones while the database installs, then the Odoo cases
    beside the tests that start servers of their own.  Each runs in a process
    group of its own, stopped with Ctrl-C (so its fixtures stop their servers
    and simulators) and then killed if it lingers.
    """

    def __init__(self, kind, cmd, env):
        self.kind = kind
        self.cmd = cmd
        self.env = env
        self.proc = None
        self.started = self.ended = None
        self.summary = ""

    def start(self):
        log(f"[{self.kind}] " + " ".join(self.cmd))
        self.started = time.time()
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=REPO,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.reader = threading.Thread(target=self._stream, daemon=True)
        self.reader.start()
        return self

    def _stream(self):
        for line in self.proc.stdout:
            if line.strip():
                self.summary = line.strip(" =\n")  # pytest's last line
            sys.stdout.write(f"{self.kind:>8} | {line}")
            sys.stdout.flush()
        self.ended = time.time()  # its output closed: pytest is done

    def wait(self):
        rc = self.proc.wait()
        self.reader.join()
        if rc == 5:  # nothing of this kind among the tests asked for
            log(f"[{self.kind}] no test of this kind selected")
        else:
            log(
                f"[{self.kind}] exit {rc} after {self.ended - self.started:.0f} s: "
                + (self.summary or "no summary")
            )
        return rc

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def stop_shards(shards):
    for shard in shards:
        shard.stop()


def test_path(arg):
    """``"tests"`` for a path (``tests/x.py::test``) in the project's tests/,
    ``"other"`` for another existing path, None for an option or its value."""
    path = (REPO / arg.split("::", 1)[0]).resolve()
    if arg.startswith("-") or not path.exists():
        return None
    return "tests" if REPO / "tests" in (path, *path.parents) else "other"


def cmd_test(args):
    check_odoo()
    ensure_python_deps()
    ensure_system_packages()
    if args.reuse:
        workdir = STATE / "test"
    else:
        workdir = Path(tempfile.mkdtemp(prefix="synco-test-"))
        os.chmod(workdir, 0o755)
    db_name = "synco_test"
    pytest_args = list(args.pytest_args)
    if not [a for a in pytest_args if test_path(a)]:
        pytest_args += [f"{addon}/tests" for addon in ALL_ADDONS]
        pytest_args += ["tests"]
    pytest = [sys.executable, "-m", "pytest", "-p", "tests.support.strict_skips"]
    pytest += ["-p", "tests.support.shards", "-p", "no:cacheprovider", "-ra"]
    # without pytest-odoo (no registry in the process) the addons' own tests,
    # Odoo cases all, could not even be imported: those shards get tests/ only
    no_odoo = [a for a in pytest_args if test_path(a) in (None, "tests")]
    if not [a for a in no_odoo if test_path(a)]:
        no_odoo = None
    else:
        no_odoo = pytest + ["-p", "no:odoo", *no_odoo]
    t0 = time.time()
    shards = []
    codes = []
    try:
        # Python alone, while PostgreSQL starts and the database installs
        if no_odoo:
            plain = Shard("plain", [*no_odoo, "--synco-kind=plain"], odoo_env())
            shards.append(plain.start())
        stack = private_stack(workdir, db_name, reuse=args.reuse, addons=ALL_ADDONS)
        with stack as (pg, conf):
            try:
                env = odoo_env()
                env["SYNCO_ODOO_CONF"] = str(conf)
                env["SYNCO_PG_PORT"] = str(pg.port)
                env["SYNCO_E2E_DB"] = clone_database(conf, db_name, "synco_e2e")
                # a pristine copy no server ever opens, for tests that need a
                # database of their own whatever ran before them
                env["SYNCO_E2E_TEMPLATE"] = clone_database(
                    conf, db_name, "synco_e2e_template"
                )
                env["SYNCO_ODOO_LAUNCHER"] = json.dumps(odoo_launcher())
                env["SYNCO_API_KEY"] = json2.read_api_key(workdir)
                # the servers' tests need no registry in their own process
                if no_odoo:
                    server = [*no_odoo, "--synco-kind=server"]
                    shards.append(Shard("server", server, env).start())
                database = pytest + [
                    f"--odoo-config={conf}",
                    f"--odoo-database={db_name}",
                    "--odoo-http",
                    "--synco-kind=database",
                    *pytest_args,
                ]
                shards.append(Shard("database", database, env).start())
                codes = [shard.wait() for shard in shards]
            finally:  # before PostgreSQL stops
                stop_shards(shards)
    finally:
        stop_shards(shards)
        if not args.reuse:
            shutil.rmtree(workdir, ignore_errors=True)
    log(f"every test ran in {time.time() - t0:.0f} s (database install included)")
    if not codes or all(code == 5 for code in codes):
        log("pytest collected no test: that is a failure")
        sys.exit(1)
    # a shard killed by a signal (-9) is a failure too, whatever the others
    failed = [code if code > 0 else 128 - code for code in codes if code not in (0, 5)]
    sys.exit(max(failed, default=0))


def cmd_demo(args):
    check_odoo()
    ensure_python_deps()
    workdir = STATE / "demo"
    http_port = args.port
    sim_port = args.simulator_port
    # every port the demo opens moves with --port (8069 -> websocket 8072)
    gevent_port = args.gevent_port or http_port + 3
    with private_stack(
        workdir,
        "synco_demo",
        demo=True,
        reuse=True,  # an existing demo database is updated to the current code
        http_port=http_port,
        gevent_port=gevent_port,
        workers=3,  # jobs take at most 2: a webhook always finds a worker
        max_cron_threads=1,
        server_wide_modules="web,queue_job",
        limit_time_real=600,
    ) as (_pg, conf):
        procs = []
        try:
            sim = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.shopify_simulator",
                    "--port",
                    str(sim_port),
                    "--fixture",
                    "demo",
                    "--state-file",
                    str(demo_simulator_state(conf, workdir)),
                ],
                cwd=REPO,
                env=odoo_env(),
            )
            procs.append(sim)
            env = {**odoo_env(), "ODOO_QUEUE_JOB_CHANNELS": "root:2"}
            # the bootstrap first, without scheduled actions: Odoo's own
            # (the procurement scheduler) would fail to serialize against it
            odoo = subprocess.Popen(
                odoo_cmd(
                    conf, "-d", "synco_demo", "--log-level=info", "--max-cron-threads=0"
                ),
                env=env,
            )
            procs.append(odoo)
            demo = connect_demo_shop(
                http_port, odoo, sim_port, json2.read_api_key(workdir)
            )
            settle_jobs(demo)
            run_procurement_once(demo)
            log("demo bootstrapped: restarting Odoo with its scheduled actions")
            odoo.send_signal(signal.SIGINT)
            odoo.wait(30)
            procs.remove(odoo)
            odoo = subprocess.Popen(
                odoo_cmd(conf, "-d", "synco_demo", "--log-level=info"), env=env
            )
            procs.append(odoo)
            wait_ready(demo, odoo)
            log(
                f"Odoo on http://127.0.0.1:{http_port} (login admin / admin), "
                f"Shopify simulator on http://127.0.0.1:{sim_port}. Ctrl-C stops all."
            )
            while all(p.poll() is None for p in procs):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            for p in procs:
                with contextlib.suppress(Exception):
                    p.send_signal(signal.SIGINT)
            for p in procs:
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()  # never leave a simulator or server behind
                    p.wait()


def cmd_cluster(args):
    """Two Odoo nodes on one database, nginx in front, the standalone runner.

    The deployment of README's *Deployment* section on one machine: a
    private PostgreSQL with the demo database (``.synco/cluster``, reused
    between runs), two nodes without ``queue_job`` in their
    ``server_wide_modules``, Debian's nginx round robin on ``--port``,
    queue_job's runner dispatching through nginx, and the simulator, to
    which the demo shop is connected with its webhooks sent to nginx.
    """
    check_odoo()
    ensure_python_deps()
    sys.path.insert(0, str(REPO))
    from tests.shopify_simulator import Simulator
    from tests.support.odoo_cluster import OdooCluster

    ensure_system_packages(["nginx"])
    workdir = STATE / "cluster"
    with private_stack(workdir, "synco_demo", demo=True, reuse=True) as (
        pg,
        conf,
    ):
        os.environ.update(
            SYNCO_ODOO_CONF=str(conf),
            SYNCO_E2E_DB="synco_demo",
            SYNCO_PG_PORT=str(pg.port),
            SYNCO_ODOO_LAUNCHER=json.dumps(odoo_launcher()),
        )
        sim = Simulator(port=args.simulator_port, fixture="demo").start()
        cluster = OdooCluster(
            name="cluster",
            workers=args.workers,
            channels=args.channels,
            port=args.port,
        )
        try:
            cluster.start()
            connect_demo_shop(
                args.port,
                cluster.nodes[0].proc,
                sim.port,
                json2.read_api_key(workdir),
            )
            nodes = ", ".join(node.url for node in cluster.nodes)
            log(
                f"nginx on {cluster.url} (login admin / admin), round robin "
                f"over the nodes {nodes}; job runner dispatching through nginx "
                f"(channels {args.channels}); Shopify simulator on {sim.base_url}."
                f"\n[synco] logs in {cluster.run_dir} and next to it. "
                "Ctrl-C stops all."
            )
            while cluster.alive():
                time.sleep(1)
            log("a process of the cluster exited: stopping the others")
        except KeyboardInterrupt:
            pass
        finally:
            cluster.stop()
            sim.stop()


def demo_simulator_state(conf, workdir):
    """The simulator's state file of the demo database, beside it.

    Named after the database's ``database.uuid``: a restarted demo finds the
    simulator as it left it (its orders, levels and webhooks), so Odoo's
    database and Shopify's state never disagree (the fixture again would
    look like sales Odoo never imported); a database created anew gets the
    fixture, and the state files of former databases are removed.
    """
    db_uuid = psql(
        conf,
        "synco_demo",
        "SELECT value FROM ir_config_parameter WHERE key = 'database.uuid'",
    )
    state_file = Path(workdir) / f"simulator-{db_uuid}.pickle"
    for stale in Path(workdir).glob("simulator-*.pickle"):
        if stale != state_file:
            stale.unlink()
    if state_file.exists():
        log(f"simulator state kept from the last run: {state_file}")
    return state_file


DEMO_CLIENT_ID = "synco-demo-client-id"  # the simulator's app of the demo shop
DEMO_WEBHOOK_SECRET = "synco-demo-webhook-secret"  # its client secret


def connect_demo_shop(port, odoo, sim_port, api_key, timeout=120):
    """Connect the demo shop to the simulator, as a user would from its form."""
    demo = json2.Json2(f"http://127.0.0.1:{port}", "synco_demo", api_key)
    wait_ready(demo, odoo, timeout)
    shop = demo.ref("synco_shopify.demo_shop")
    demo.call(
        "shopify.shop",
        "write",
        [shop],
        {
            "api_base_url": f"http://127.0.0.1:{sim_port}",
            "webhook_base_url": f"http://127.0.0.1:{port}",
            # a Dev Dashboard app: client credentials, 24-hour tokens
            "connect_method": "client_credentials",
            "client_id": DEMO_CLIENT_ID,
            "client_secret": DEMO_WEBHOOK_SECRET,
        },
    )
    for action in (
        "action_import_locations",
        "action_register_webhooks",
        "action_bind_products",
        "action_push_all",
    ):
        result = demo.call("shopify.shop", action, [shop])
        log(f"demo shop: {result['params']['message']}")
    return demo


def wait_ready(demo, odoo, timeout=120):
    """Until the demo's Odoo answers JSON-2 (``demo``: a Json2 client)."""
    deadline = time.monotonic() + timeout
    while not demo.ready():
        if odoo.poll() is not None or time.monotonic() > deadline:
            die("Odoo did not start (see its log above)")
        time.sleep(1)


def run_procurement_once(demo):
    """Odoo's procurement scheduler, once, in one transaction, as the day's run.

    Its cron recomputes the orderpoints in its own transaction while batches
    of them are procured and committed in others: on the orderpoints the
    bootstrap's stock moves left stale, the cron's final flush failed to
    serialize (``UPDATE stock_warehouse_orderpoint``) in the demo's first
    minute.  Run in one transaction here, the day's run is done, and the cron
    waits for tomorrow.
    """
    demo.call("stock.rule", "run_scheduler", [], use_new_cursor=False)
    cron = demo.ref("stock.ir_cron_scheduler_action")
    tomorrow = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(time.time() + 86400))
    demo.call("ir.cron", "write", [cron], {"nextcall": tomorrow})


def settle_jobs(demo, timeout=120):
    """Until the bootstrap's jobs ran (or ``timeout``): the pushes it enqueued."""
    deadline = time.monotonic() + timeout
    active = ["wait_dependencies", "pending", "enqueued", "started"]
    while time.monotonic() < deadline:
        left = demo.call(
            "queue.job", "search_count", [("state", "in", active), ("eta", "=", False)]
        )
        if not left:
            return
        time.sleep(1)


def cmd_bench(args):
    check_odoo()
    ensure_python_deps()
    script = REPO / "tests" / "benchmarks" / f"bench_{args.name}.py"
    if not script.exists():
        names = sorted(p.stem[6:] for p in script.parent.glob("bench_*.py"))
        die(f"no benchmark {args.name!r}; available: {', '.join(names)}")
    workdir = Path(tempfile.mkdtemp(prefix="synco-bench-"))
    os.chmod(workdir, 0o755)
    try:
        with private_stack(workdir, "synco_bench", addons=ALL_ADDONS) as (pg, conf):
            env = odoo_env()
            env["SYNCO_ODOO_CONF"] = str(conf)
            env["SYNCO_PG_PORT"] = str(pg.port)
            # for benchmarks that start a real server (tests/support/odoo_server.py)
            env["SYNCO_E2E_DB"] = clone_database(conf, "synco_bench", "synco_e2e")
            env["SYNCO_ODOO_LAUNCHER"] = json.dumps(odoo_launcher())
            env["SYNCO_API_KEY"] = json2.read_api_key(workdir)
            rc = subprocess.run(
                [sys.executable, str(script), *args.bench_args],
                check=False,
                cwd=REPO,
                env=env,
            ).returncode
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    sys.exit(rc)


def cmd_pot(args):
    """Export each addon's translation template (``i18n/<addon>.pot``).

    On the database of ``test --reuse`` (created or updated here), so the
    template holds exactly the terms of the code as it is.
    """
    check_odoo()
    ensure_python_deps()
    stack = private_stack(STATE / "test", "synco_test", reuse=True, addons=ALL_ADDONS)
    with stack as (_pg, conf):
        for addon in ALL_ADDONS:
            res = subprocess.run(
                [*odoo_launcher(), "i18n", "export", "-c", str(conf)]
                + ["-d", "synco_test", addon],
                check=False,
                env=odoo_env(),
            )
            if res.returncode:
                die(f"exporting the template of {addon} failed", res.returncode)
            log(f"{addon}/i18n/{addon}.pot written")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_test = sub.add_parser("test", help="run every test on a fresh database")
    p_test.add_argument(
        "--reuse",
        action="store_true",
        help="keep the cluster and database in .synco/test between runs (faster)",
    )
    p_test.add_argument("pytest_args", nargs=argparse.REMAINDER)
    p_test.set_defaults(func=cmd_test)
    p_demo = sub.add_parser("demo", help="Odoo with demo data and the simulator")
    p_demo.add_argument("--port", type=int, default=8069)
    p_demo.add_argument("--simulator-port", type=int, default=8765)
    p_demo.add_argument(
        "--gevent-port",
        type=int,
        default=None,
        help="the websocket (gevent) port; default --port + 3 (8072)",
    )
    p_demo.set_defaults(func=cmd_demo)
    p_cluster = sub.add_parser(
        "cluster", help="two Odoo nodes behind nginx, the standalone job runner"
    )
    p_cluster.add_argument("--port", type=int, default=8069, help="nginx's port")
    p_cluster.add_argument("--simulator-port", type=int, default=8765)
    p_cluster.add_argument("--workers", type=int, default=2, help="per node")
    p_cluster.add_argument("--channels", default="root:2", help="the runner's")
    p_cluster.set_defaults(func=cmd_cluster)
    p_bench = sub.add_parser("bench", help="run a benchmark of tests/benchmarks")
    p_bench.add_argument("name")
    p_bench.add_argument("bench_args", nargs=argparse.REMAINDER)
    p_bench.set_defaults(func=cmd_bench)
    p_pot = sub.add_parser("pot", help="export the addons' translation templates")
    p_pot.set_defaults(func=cmd_pot)
    # SIGTERM (CI's timeout, kill) unwinds like Ctrl-C, so PostgreSQL is stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # a shell's background job starts with Ctrl-C ignored, which children
    # inherit; caught here, it reaches them as the default: each pytest shard
    # takes it (Shard.stop) and stops its servers on the way out
    signal.signal(signal.SIGINT, signal.default_int_handler)
    args, unknown = parser.parse_known_args()
    if unknown and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if args.command == "test":
        args.pytest_args = unknown + args.pytest_args  # options for pytest
    args.func(args)


if __name__ == "__main__":
    main()
