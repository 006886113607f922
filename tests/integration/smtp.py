"""A real SMTP server for tests (aiosmtpd), and a port where none listens."""

import asyncio
import socket
import threading
from email import message_from_bytes, policy


def free_port():
    """A local port nothing listens on (until a test starts something there)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Sink:
    """An SMTP server that keeps what it accepted. It accepts a message only if the sender is
    still there when it is ready to say 250, like a real mail server."""

    def __init__(self, delay_for=None, delay=0, port=None):
        from aiosmtpd.controller import Controller

        self.messages = []  # the recipients of each message accepted
        self.received = []  # each message accepted, parsed
        self.started = threading.Event()
        self.delay_for, self.delay = delay_for, delay
        self.port = port or free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        recipients = tuple(envelope.rcpt_tos)
        if self.delay_for and self.delay_for in recipients and not self.started.is_set():
            self.started.set()
            await asyncio.sleep(self.delay)
            if server.transport is None or server.transport.is_closing():
                return "421 Sender went away"
        self.messages.append(recipients)
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def has_all(self, expected):
        return all(self.count(address) >= n for address, n in expected.items())

    def count(self, address):
        return sum(1 for recipients in self.messages if address in recipients)
