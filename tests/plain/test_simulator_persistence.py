"""The simulator's state file: what the demo keeps across restarts.

The demo runs the simulator with a state file beside its database, so a
restarted demo finds Shopify as it left it (its orders and levels), not the
fixture again, which Odoo would read as sales it never imported.
"""

import signal
import socket
import subprocess
import sys
import time
import uuid

import requests

from tests.conftest import REPO_ROOT
from tests.shopify_simulator import DEMO_DOMAIN, DEMO_TOKEN, Simulator

from .test_simulator import gql, quantity, set_quantities

TX = "gid://shopify/Location/1002"
TEXAS = "Texas Warehouse"
ORDERS = "{ orders(first: 10) { nodes { id name } } }"
SUBSCRIBE = """
mutation { webhookSubscriptionCreate(topic: ORDERS_CREATE,
  webhookSubscription: {uri: "http://127.0.0.1:9/hook", format: JSON}) {
  webhookSubscription { id } userErrors { message } } }"""


def order_names(sim):
    body = gql(sim, ORDERS).json()
    return {node["id"]: node["name"] for node in body["data"]["orders"]["nodes"]}


def test_round_trip_keeps_orders_levels_and_idempotency_keys(tmp_path):
    path = tmp_path / "state.pickle"
    key = str(uuid.uuid4())
    with Simulator(fixture="demo", state_file=path) as first:
        written = set_quantities(
            first, [quantity(first, "SYN-SOCKS-3PK", TX, 12, 50)], key=key
        ).json()
        assert written["data"]["inventorySetQuantities"]["userErrors"] == []
        order = first.create_order(
            DEMO_DOMAIN, [("SYN-MUG-001", 2)], location="New Jersey Warehouse"
        )
        gql(first, SUBSCRIBE)
        before = first.levels(DEMO_DOMAIN)
        orders = order_names(first)
        last_id = first.store.last_id
    assert orders == {order.id: order.name}

    # the fixture is ignored: the state file wins
    with Simulator(fixture="demo", state_file=path) as second:
        assert second.levels(DEMO_DOMAIN) == before
        assert second.level(DEMO_DOMAIN, "SYN-MUG-001", "New Jersey Warehouse")[
            "committed"
        ] == (2)
        assert order_names(second) == orders
        assert [s.uri for s in second.shop(DEMO_DOMAIN).webhooks.values()] == [
            "http://127.0.0.1:9/hook"
        ]
        # the key is remembered: a retry of the write replays its answer and
        # applies nothing, other input under that key is refused
        second.set_available(DEMO_DOMAIN, "SYN-SOCKS-3PK", TEXAS, 3)
        replay = set_quantities(
            second, [quantity(second, "SYN-SOCKS-3PK", TX, 12, 50)], key=key
        ).json()
        assert replay["data"] == written["data"]
        assert second.log[-1]["idempotent_replay"]
        assert second.level(DEMO_DOMAIN, "SYN-SOCKS-3PK", TEXAS)["available"] == 3
        other = set_quantities(
            second, [quantity(second, "SYN-SOCKS-3PK", TX, 13, 3)], key=key
        ).json()["data"]["inventorySetQuantities"]
        assert other["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
        # new objects never reuse an identifier of the first run
        later = second.create_order(DEMO_DOMAIN, [("SYN-MUG-001", 1)])
        assert later.number > last_id


def test_save_writes_only_changes_and_atomically(tmp_path):
    path = tmp_path / "state.pickle"
    sim = Simulator(fixture="demo", state_file=path)
    assert sim.save() is True
    written = path.stat().st_mtime_ns
    assert sim.save() is False  # nothing changed: nothing written
    assert path.stat().st_mtime_ns == written
    sim.set_available(DEMO_DOMAIN, "SYN-MUG-001", TEXAS, 9)
    assert sim.save() is True
    assert not path.with_name(path.name + ".partial").exists()
    assert (
        Simulator(state_file=path).level(DEMO_DOMAIN, "SYN-MUG-001", TEXAS)["available"]
        == 9
    )


def test_autosave_survives_a_kill(tmp_path):
    """``python3 -m tests.shopify_simulator --state-file``, SIGKILLed after
    an order: restarted, the order and its committed units are there."""
    path = tmp_path / "state.pickle"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [
        sys.executable,
        "-m",
        "tests.shopify_simulator",
        "--port",
        str(port),
        "--fixture",
        "demo",
        "--state-file",
        str(path),
        "--autosave",
        "0.2",
    ]
    url = f"http://127.0.0.1:{port}"

    def start():
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True
        )
        assert "Shopify simulator on" in process.stdout.readline()
        return process

    process = start()
    try:
        created = requests.post(
            f"{url}/_sim/orders",
            json={"lines": [["SYN-MUG-001", 4]], "location": "UK Warehouse"},
            timeout=5,
        ).json()
        deadline = time.monotonic() + 10
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)  # past one more autosave period
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        process = start()
        levels = {
            (row["sku"], row["location"]): row
            for row in requests.get(f"{url}/_sim/levels", timeout=5).json()
        }
        assert levels[("SYN-MUG-001", "UK Warehouse")]["committed"] == 4
        body = requests.post(
            f"{url}/admin/api/2026-07/graphql.json",
            json={"query": ORDERS},
            headers={"X-Shopify-Access-Token": DEMO_TOKEN},
            timeout=5,
        ).json()
        names = [node["name"] for node in body["data"]["orders"]["nodes"]]
        assert names == [created["name"]]
    finally:
        process.terminate()
        process.wait(10)


def test_load_state_starts_from_a_store_and_never_writes_it(tmp_path):
    """``--load-state`` (a benchmark's seeded catalogue): the saved store is
    served, and changes made meanwhile are not written back to it."""
    path = tmp_path / "state.pickle"
    seeded = Simulator(fixture="demo", state_file=path)
    seeded.set_available(DEMO_DOMAIN, "SYN-MUG-001", TEXAS, 9)
    seeded.save()
    saved = path.read_bytes()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.shopify_simulator", "--port", str(port)]
        + ["--load-state", str(path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert "Shopify simulator on" in process.stdout.readline()

        def level():
            rows = requests.get(f"{url}/_sim/levels", timeout=5).json()
            return next(
                r["available"]
                for r in rows
                if (r["sku"], r["location"]) == ("SYN-MUG-001", TEXAS)
            )

        assert level() == 9
        requests.post(
            f"{url}/_sim/orders",
            json={"lines": [["SYN-MUG-001", 4]], "location": TEXAS},
            timeout=5,
        ).raise_for_status()
        assert level() == 5
    finally:
        process.terminate()
        process.wait(10)
    assert path.read_bytes() == saved
