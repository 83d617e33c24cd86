"""A real SMTP server for delivery tests: aiosmtpd on a free loopback port, in a thread.

Behaviour is programmed per recipient with ``Rule``: refuse with 451 some number of times,
refuse with 550, drop the connection after the message data arrived, or stall. Every
accepted message is recorded with its Message-ID, and every connection is counted.

    with SmtpServer() as server:
        server.rules["slow@mail.example"] = Rule(stall_seconds=1.0)
        ...
        assert server.message_ids() == [...]
"""

import asyncio
import re
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

_MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Rule:
    # Refuse RCPT with 451 this many times, then accept.
    temporary_failures: int = 0
    # Refuse RCPT with 550 every time.
    reject: bool = False
    # Keep the message, then drop the connection without replying, this many times.
    drop_after_data: int = 0
    # Wait this long before replying, this many times (at RCPT, or at the end of DATA).
    stall_seconds: float = 0.0
    stalls: int = 1
    stall_at: str = "data"


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message_id: str
    content: bytes

    @property
    def message(self):
        return message_from_bytes(self.content, policy=policy.default)


class _Handler:
    def __init__(self, server: "SmtpServer"):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        rule = self.server.rules.get(address)
        if rule is not None:
            if rule.stall_seconds and rule.stall_at == "rcpt" and rule.stalls > 0:
                rule.stalls -= 1
                await asyncio.sleep(rule.stall_seconds)
            if rule.reject:
                return "550 5.1.1 No such mailbox"
            if rule.temporary_failures > 0:
                rule.temporary_failures -= 1
                return "451 4.3.0 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        if self.server.delay_seconds:
            await asyncio.sleep(self.server.delay_seconds)
        rules = [self.server.rules.get(address) for address in envelope.rcpt_tos]
        for rule in rules:
            if rule is not None and rule.stall_seconds and rule.stall_at == "data" and rule.stalls:
                rule.stalls -= 1
                # The client gives up first; its closing the connection cancels this.
                await asyncio.sleep(rule.stall_seconds)
        self.server._record(envelope)
        for rule in rules:
            if rule is not None and rule.drop_after_data > 0:
                rule.drop_after_data -= 1
                smtp.transport.abort()
                await asyncio.sleep(60)  # cancelled as the connection goes
        return "250 2.0.0 Accepted"


class _CountingSMTP(SMTP):
    def __init__(self, handler, server: "SmtpServer", **kwargs):
        super().__init__(handler, **kwargs)
        self._counting_server = server

    def connection_made(self, transport):
        if self.transport is None:  # not the STARTTLS upgrade of an open connection
            with self._counting_server._lock:
                self._counting_server.connections += 1
        super().connection_made(transport)


class _Controller(Controller):
    def __init__(self, server: "SmtpServer", **kwargs):
        super().__init__(_Handler(server), **kwargs)
        self._server = server

    def factory(self):
        return _CountingSMTP(self.handler, self._server, **self.SMTP_kwargs)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpServer:
    """Start with ``start()`` (or ``with``); ``stop()`` then ``start()`` again keeps the port."""

    def __init__(self, port: int | None = None):
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self.rules: dict[str, Rule] = {}
        # Every message waits this long before its reply (a server that is not instant).
        self.delay_seconds = 0.0
        self.received: list[Received] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._controller: _Controller | None = None

    def start(self) -> "SmtpServer":
        controller = _Controller(self, hostname=self.host, port=self.port, ready_timeout=10)
        controller.start()
        self._controller = controller
        with self._lock:
            self.connections = 0  # the controller's own readiness check is not a client
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def reset(self) -> None:
        with self._lock:
            self.rules.clear()
            self.delay_seconds = 0.0
            self.received.clear()
            self.connections = 0

    def _record(self, envelope) -> None:
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        # A regex, not a full parse: the server keeps up with several workers at once.
        found = _MESSAGE_ID.search(content.partition(b"\r\n\r\n")[0])
        with self._lock:
            self.received.append(
                Received(
                    sender=envelope.mail_from,
                    recipients=tuple(envelope.rcpt_tos),
                    message_id=found.group(1).decode() if found else "",
                    content=content,
                )
            )

    def message_ids(self) -> list[str]:
        with self._lock:
            return [message.message_id for message in self.received]

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Whether ``count`` messages have arrived within ``timeout`` seconds."""
        return _wait_until(lambda: self.count() >= count, timeout, poll=0.01)

    def wait_for_recipient(self, address: str, timeout: float = 10.0) -> bool:
        """Whether a message for ``address`` arrives within ``timeout`` seconds."""

        def arrived() -> bool:
            with self._lock:
                return any(address in message.recipients for message in self.received)

        return _wait_until(arrived, timeout, poll=0.05)

    def __enter__(self) -> "SmtpServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _wait_until(condition, timeout: float, poll: float) -> bool:
    """Poll ``condition`` until it holds (True) or ``timeout`` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(poll)
    return False
