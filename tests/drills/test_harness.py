"""`make drills`: the pieces that work without a running stack (counting, output, the proxy,
the compressed timings, the exit codes). The drills themselves: test_drills.py."""

import json
import socket
import threading
from email.message import EmailMessage

import pytest

from tests.drills import __main__ as cli
from tests.drills import harness
from tests.drills.faults import TcpProxy
from tests.drills.harness import Result, Tally, Timings, json_line, table


def mail(delivery: int | None, to: str = "ana@example.org") -> bytes:
    message = EmailMessage()
    message["To"] = to
    message["Subject"] = "Daily digest"
    if delivery is not None:
        message["X-Portal-Delivery"] = str(delivery)
    message.set_content("Hello")
    return bytes(message)


def test_the_tally_counts_each_delivery_once_and_every_copy_after_it():
    tally = Tally()
    for delivery in (7, 8, 8, 8, 12):
        tally.receive(mail(delivery))
    tally.receive(mail(None))
    assert tally.count["8"] == 3
    assert tally.between(7, 8) == 2  # two deliveries arrived, whatever their copies
    assert tally.between(9, 20) == 1
    assert tally.count["ana@example.org|Daily digest"] == 1  # no header: by address


def test_the_output_ends_with_one_line_of_json_with_every_drill():
    failed = Result(name="smtp_digest", expected=5000, delivered=4000, lost=1000, limit_s=75)
    failed.notes.append("1000 failed")
    fine = Result(name="broker_down", expected=50, delivered=50, recovery_s=2.04, ok=True)
    text = table([failed, fine]) + "\n" + json_line([failed, fine])
    last = json.loads(text.splitlines()[-1])
    assert last["drills"]["smtp_digest"] == {
        "expected": 5000,
        "delivered": 4000,
        "duplicates": 0,
        "lost": 1000,
        "recovery_s": None,
        "errors_5xx": 0,
        "limit_s": 75,
        "ok": False,
    }
    assert last["drills"]["broker_down"]["recovery_s"] == 2.0
    assert "NOT OK" in text.splitlines()[1]
    assert "· 1000 failed" in text


def _echo_server() -> tuple[socket.socket, int]:
    """A server answering every connection with what it gets."""
    server = socket.create_server(("127.0.0.1", 0))

    def echo(conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(99):
                conn.sendall(data)

    def serve() -> None:
        while True:
            try:
                conn, _address = server.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=echo, args=(conn,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


def _echo(port: int) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as conn:
        conn.sendall(b"ping")
        return conn.recv(99)


def test_a_cut_proxy_drops_its_connections_and_refuses_new_ones_until_restored():
    server, port = _echo_server()
    proxy = TcpProxy(("127.0.0.1", port))
    proxy.start()
    try:
        assert _echo(proxy.port) == b"ping"
        open_connection = socket.create_connection(("127.0.0.1", proxy.port), timeout=2)
        open_connection.sendall(b"one")
        assert open_connection.recv(99) == b"one"
        proxy.cut()
        assert open_connection.recv(99) == b""  # dropped
        with pytest.raises(ConnectionRefusedError):
            _echo(proxy.port)
        proxy.restore()
        assert _echo(proxy.port) == b"ping"
        open_connection.close()
    finally:
        proxy.stop()
        server.close()


def test_the_portals_timings_are_divided_by_the_scale():
    timings = Timings.of_the_portal(20)
    # The portal's schedule (1, 5, 15 min, 1, 4, 12 h, a day), twenty times faster.
    assert timings.retry_schedule == [3.0, 15.0, 45.0, 180.0, 720.0, 2160.0, 4320.0]
    assert (timings.max_attempts, timings.stale, timings.sweep) == (10, 15.0, 3.0)
    assert timings.visibility == 180
    assert timings.env()["MAIL_RETRY_SCHEDULE"] == "3.0,15.0,45.0,180.0,720.0,2160.0,4320.0"
    assert timings.real(15) == "5.0 min"


class FakeDrills:
    """Stands in for the stack: each drill comes back as ``outcome`` says."""

    outcome = "ok"
    started = stopped = False

    def __init__(self, *, scale, size, patient):
        self.size = size

    def start(self):
        FakeDrills.started = True

    def stop(self):
        FakeDrills.stopped = True

    def run(self, name):
        if self.outcome == "error":
            return Result(name=name, error="RuntimeError: broke")
        return Result(name=name, expected=1, delivered=1, ok=self.outcome == "ok")


@pytest.mark.parametrize(
    ("outcome", "args", "code"),
    [
        ("ok", [], 0),
        ("not ok", [], 0),  # a drill that fails is a measurement
        ("not ok", ["--strict"], 1),
        ("ok", ["--strict"], 0),
        ("error", [], 2),  # the harness itself broke
    ],
)
def test_make_drills_exits_0_unless_strict_or_broken(monkeypatch, capsys, outcome, args, code):
    monkeypatch.setattr(harness, "Drills", FakeDrills)
    monkeypatch.setattr(harness, "missing_pieces", lambda: [])
    monkeypatch.setattr(FakeDrills, "outcome", outcome)
    assert cli.main(["--only", "smtp_digest,redis_stopped", *args]) == code
    lines = capsys.readouterr().out.strip().splitlines()
    assert list(json.loads(lines[-1])["drills"]) == ["smtp_digest", "redis_stopped"]
    assert FakeDrills.stopped


def test_an_unknown_drill_is_refused_before_anything_starts(monkeypatch, capsys):
    monkeypatch.setattr(harness, "Drills", FakeDrills)
    FakeDrills.started = False
    with pytest.raises(SystemExit):
        cli.main(["--only", "smtp_digest,flood"])
    assert "unknown drills ['flood']" in capsys.readouterr().err
    assert not FakeDrills.started
