"""PostgreSQL goes away for a few seconds under requests: staff and citizens get the 503 page
(never a 500), /readyz says the database is down, and the app serves again by itself when the
database is back (no restart). The outage is a TCP relay between the app and the server that
the test cuts and restores, so the real server, shared with the rest of the suite, never stops."""
from __future__ import annotations

import os
import socket
import threading
import time

import pytest
from sqlalchemy import make_url
from werkzeug.security import generate_password_hash

from monitor import create_app
from monitor.extensions import db
from monitor.models import Office, User

from .conftest import PASSWORD, TEST_CONFIG, private_postgres_database

pytestmark = pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                                reason="needs PostgreSQL (TEST_DATABASE_URL; .ci/run sets it)")


class Relay:
    """127.0.0.1:port -> the database server; ``cut()`` drops every connection and refuses new
    ones (as a server that stopped), ``restore()`` accepts again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.listener = None
        self.restore()

    def restore(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread waiting in accept()
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.close()
                except OSError:
                    pass


def test_an_outage_gives_503s_never_500s_and_the_app_recovers_by_itself():
    from flask_migrate import upgrade
    with private_postgres_database(os.environ["TEST_DATABASE_URL"]) as direct:
        server = make_url(direct)
        relay = Relay((server.host or "127.0.0.1", server.port or 5432))
        through_relay = server.set(port=relay.port).render_as_string(hide_password=False)
        app = create_app({**TEST_CONFIG, "DATABASE_URL": through_relay})
        with app.app_context():
            upgrade()
            db.session.add(Office(code="OF1", name_kk="k", name_ru="r", name_en="e", region=""))
            db.session.add(User(login="desk1", role="desk", office_code="OF1",
                                password_hash=generate_password_hash(PASSWORD)))
            db.session.commit()
            db.session.remove()
        staff, citizen = app.test_client(), app.test_client()
        assert staff.post("/login", data={"login": "desk1", "password": PASSWORD}).status_code == 302
        assert staff.get("/desk/").status_code == 200

        relay.cut()
        statuses = set()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:  # requests keep coming while the database is away
            statuses.add(staff.get("/desk/").status_code)
            statuses.add(citizen.get("/complaints/new").status_code)  # its office list is read
            statuses.add(citizen.get("/readyz").status_code)
        down = staff.get("/desk/?lang=en")
        assert 500 not in statuses and statuses <= {503}, statuses
        assert down.status_code == 503 and "retry" in down.get_data(as_text=True)
        assert down.headers["Cache-Control"] == "no-store"

        relay.restore()
        assert staff.get("/desk/").status_code == 200  # the same process, the same session cookie
        assert citizen.get("/readyz").json["checks"]["database"] == "ok"
        relay.cut()
        with app.app_context():
            db.engine.dispose()
