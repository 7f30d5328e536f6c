"""A loopback TCP relay that a test can cut: a database outage for one server only.

Restarting the shared MariaDB would disturb every other test using it; a relay between one server and
the database, cut for a few seconds, is the same outage as seen from that server (every connection
reset, new ones refused) and closer to a network blip. Threads, no event loop: a handful of
connections per test.

    with TcpRelay(3306) as relay:          # server -> 127.0.0.1:relay.port -> 127.0.0.1:3306
        relay.cut()                        # reset what is open, refuse what comes
        relay.restore()                    # listen again on the same port
"""

from __future__ import annotations

import socket
import struct
import threading

CHUNK = 64 * 1024


def _reset(sock: socket.socket) -> None:
    """Close with an RST, as a restarted server's host answers: linger on with a timeout of 0. The
    shutdown first: a close alone neither wakes a thread blocked in recv() on the socket nor lets the
    kernel reset the connection while that thread holds it (the database would keep its session and its
    row locks for as long)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RD)     # wakes the pump reading it; SHUT_RD sends no FIN
    except OSError:
        pass
    sock.close()


class TcpRelay:
    def __init__(self, target_port: int, target_host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.port = 0
        self.connections_seen = 0
        self._listener: socket.socket | None = None
        self._live: set[socket.socket] = set()
        self._lock = threading.Lock()

    def __enter__(self) -> TcpRelay:
        self.restore()
        return self

    def __exit__(self, *exc) -> None:
        self.cut()

    def restore(self) -> None:
        """Listen (again, on the same port once it had one)."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Refuse new connections and reset every open one, both sides."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # shutdown first: a close alone does not wake the thread blocked in accept(), which keeps
            # the socket listening for as long.
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            live, self._live = self._live, set()
        for sock in live:
            _reset(sock)

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:          # closed by cut()
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self.connections_seen += 1
                self._live |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(CHUNK):
                sink.sendall(data)
        except OSError:
            pass
        # One side ended (or cut() reset it): end the other too, so neither end waits on a dead peer.
        with self._lock:
            self._live -= {source, sink}
        for sock in (source, sink):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
