"""Printers on loopback for the print tests and the bench: a Zebra stand-in and Debian's ippeveprinter.

:class:`ZebraListener` accepts raw TCP connections as a Zebra's port 9100 does,
keeps every connection's bytes, and can drop the first connection part-way
(a reset, as when a printer or a Wi-Fi link goes away mid-job). A Zebra prints
each complete ``^XA … ^XZ`` format it read, so :meth:`printed_formats` counts
what would have come out of the printer.

:func:`start_ippeveprinter` runs ``ippeveprinter`` (cups-ipp-utils) on a free
port with a spool directory: every job it accepts is kept there as a file.
It needs DNS-SD (avahi, on a system D-Bus); ``.ci/run`` starts both.
"""
from __future__ import annotations

import os
import re
import shutil
import socket
import struct
import subprocess
import threading
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ZebraListener:
    """A raw-TCP "printer" on 127.0.0.1; ``drop_first_after``: reset the first connection after that many bytes."""

    def __init__(self, drop_first_after: int | None = None):
        self.drop_first_after = drop_first_after
        self.connections: list[bytes] = []
        self.dropped: list[bytes] = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            with conn:
                if self.drop_first_after is not None and not self.dropped and not self.connections:
                    got = b""
                    while len(got) < self.drop_first_after:
                        chunk = conn.recv(self.drop_first_after - len(got))
                        if not chunk:
                            break
                        got += chunk
                    self.dropped.append(got)
                    # Close with unread data and SO_LINGER 0: a reset, the sender's job cut short.
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    continue
                data = b""
                while True:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                self.connections.append(data)  # the sender closed its side: we close ours (the with)

    def printed_formats(self) -> list[bytes]:
        """Every complete label format the printer read, over all connections (dropped ones included)."""
        out = []
        for data in self.dropped + self.connections:
            out += re.findall(rb"\^XA.*?\^XZ", data, flags=re.S)
        return out

    def close(self) -> None:
        self._stop = True
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class IppEvePrinter:
    """A running ``ippeveprinter``; ``uri`` to print to, ``spool`` where the jobs it took are kept."""

    def __init__(self, spool: Path):
        self.spool = Path(spool)
        self.spool.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.uri = f"ipp://127.0.0.1:{self.port}/ipp/print"
        self.log = self.spool.parent / f"ippeveprinter-{self.port}.log"
        self.proc = None

    def start(self, timeout: float = 15.0) -> "IppEvePrinter":
        exe = shutil.which("ippeveprinter") or "/usr/sbin/ippeveprinter"
        if not os.path.exists(exe):
            raise RuntimeError("ippeveprinter is not installed (Debian package cups-ipp-utils)")
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [exe, "-p", str(self.port), "-d", str(self.spool), "-f", "application/pdf", "-k",
                 f"Depot Test {self.port}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ippeveprinter stopped: {self.log.read_text(errors='replace')[-500:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("ippeveprinter did not start listening")

    def files(self, wait: float = 10.0, count: int = 1) -> list[Path]:
        """The documents the printer kept (waits for ``count`` of them)."""
        deadline = time.monotonic() + wait
        while True:
            found = sorted(p for p in self.spool.iterdir() if p.suffix == ".pdf")
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
