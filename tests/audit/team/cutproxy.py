"""A TCP proxy on loopback that loses the server's answer to a COMMIT (tests only, issue 18).

Why: the worst moment for a bench to lose its team history's server is after the server
committed a write and before the answer reached the bench. The bench then cannot know the audit
is saved, keeps it in the outbox, and sends it again later. Stopping the server cannot hit that
moment; this proxy can. It forwards bytes both ways unchanged (PostgreSQL's wire protocol, no
TLS on loopback), and once armed it lets through the first COMMIT that follows an
`INSERT INTO audits`, waits for the server's answer to it (so the commit is done) and then
closes the bench's connection instead of passing the answer on. Every later connection is
refused, like a server that went away.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress


class CutProxy:
    """Listens on 127.0.0.1:`port`, forwarding to `target_port`; the COMMIT whose answer it
    loses is the first after the bench sent `after` (an audit's INSERT unless told otherwise:
    `team roles` and `add-person` send CREATE ROLE or GRANT)."""

    def __init__(self, target_port: int, after: bytes = b"INSERT INTO audits") -> None:
        self.target_port = target_port
        self.after = after
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._saw_insert = False
        self._commit_sent = False
        self.cut = threading.Event()  # the answer to a COMMIT was dropped
        self._threads: list[threading.Thread] = []
        self._sockets: list[socket.socket] = []
        self._stopped = False
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()  # gone away: nobody answers any more
                continue
            server = socket.create_connection(("127.0.0.1", self.target_port))
            self._sockets += [client, server]
            for source, sink, upstream in ((client, server, True), (server, client, False)):
                pump = threading.Thread(
                    target=self._pump, args=(source, sink, upstream, client), daemon=True
                )
                pump.start()
                self._threads.append(pump)

    def _pump(
        self, source: socket.socket, sink: socket.socket, upstream: bool, client: socket.socket
    ) -> None:
        tail = b""
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                data = b""
            if not data:
                with suppress(OSError):
                    sink.shutdown(socket.SHUT_WR)
                return
            if upstream:
                seen = tail + data
                tail = seen[-64:]
                with self._lock:
                    if self.after in seen:
                        self._saw_insert = True
                    if self._saw_insert and not self.cut.is_set() and b"COMMIT" in seen:
                        self._commit_sent = True
            elif self._commit_sent and not self.cut.is_set():
                # The server answered the COMMIT: it is done. The bench never hears it.
                self.cut.set()
                with suppress(OSError):
                    client.shutdown(socket.SHUT_RDWR)
                client.close()
                return
            try:
                sink.sendall(data)
            except OSError:
                return

    def close(self) -> None:
        self._stopped = True
        self._listener.close()
        for sock in self._sockets:
            with suppress(OSError):
                sock.close()


@contextmanager
def cut_after_commit(target_port: int, after: bytes = b"INSERT INTO audits") -> Iterator[CutProxy]:
    proxy = CutProxy(target_port, after)
    try:
        yield proxy
    finally:
        proxy.close()
