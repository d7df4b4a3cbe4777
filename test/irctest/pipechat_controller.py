"""irctest controller for pipechat's IRC listener.

irctest (the public IRC server test suite) starts the server through this
module: `python -m pytest --controller pipechat_controller`, with this
folder on PYTHONPATH. The server is the built one (dist/), started on
irctest's port with the names irctest expects (the server My.Little.Server,
an operator operuser whose password is operpassword) and limits raised for
a suite that sends bursts no person would.
"""

import os
import shutil
import socket
import time
from pathlib import Path
from typing import Optional, Set, Type

from irctest.basecontrollers import (
    BaseServerController,
    DirectoryBasedController,
    NotImplementedByController,
)

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "dist" / "server" / "main.js"


def line_request(port: int, lines: str) -> str:
    """Sends line-protocol frames and returns what came back until the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(lines.encode())
        data = b""
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode("utf-8", "replace")


class PipechatController(BaseServerController, DirectoryBasedController):
    software_name = "pipechat"
    supported_sasl_mechanisms: Set[str] = {"PLAIN"}
    supports_sts = False

    def run(
        self,
        hostname: str,
        port: int,
        *,
        password: Optional[str],
        ssl: bool,
        run_services: bool,
        faketime: Optional[str],
        websocket_hostname: Optional[str],
        websocket_port: Optional[int],
    ) -> None:
        if websocket_hostname is not None or websocket_port is not None:
            raise NotImplementedByController("Websocket")
        if password is not None:
            raise NotImplementedByController("server password (PASS is an account's password here)")
        if ssl:
            raise NotImplementedByController("TLS")
        assert self.proc is None
        self.port = port
        self.hostname = hostname
        self.create_config()
        assert self.directory
        (_, self.line_port) = self.get_hostname_and_port()
        node = shutil.which("node") or "node"
        self.proc = self.execute(
            [
                node,
                SERVER,
                "--host",
                hostname,
                "--port",
                str(self.line_port),
                "--irc-port",
                str(port),
                "--server-name",
                "My.Little.Server",
                "--data-dir",
                self.directory / "data",
                "--operator",
                "operuser",
                "--min-password-length",
                "4",
                "--rate-limit",
                "1000",
                "--rate-burst",
                "1000",
                "--log-level",
                "warn",
            ],
            proc_name="pipechat",
        )
        self.wait_for_port()
        self.registerUser(None, "operuser", "operpassword")

    def wait_for_services(self) -> None:
        """Accounts are the server's own (no separate services process): ready once the server is."""

    def registerUser(self, case, username: str, password: Optional[str] = None) -> None:  # type: ignore[override]
        """Accounts are made the way any user makes one: LOGIN with a password over the line protocol."""
        reply = line_request(self.line_port, f"LOGIN|{username}|{password or 'sesame-password'}\nLOGOUT\n")
        if not reply.startswith("SUCCESS|"):
            raise AssertionError(f"could not register {username}: {reply!r}")
        # The logout must be done before the name is used again on IRC.
        time.sleep(0.05)


def get_irctest_controller_class() -> Type[PipechatController]:
    return PipechatController
