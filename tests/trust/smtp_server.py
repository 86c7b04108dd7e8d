"""A local SMTP server (aiosmtpd) whose answers a test scripts: refuse the message data
with a 4xx, stall before answering, or accept and keep the message."""

from __future__ import annotations

import asyncio
import contextlib
import email
import socket
import threading

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd.controller")


class ScriptedSMTP:
    def __init__(self, *, refuse: int = 0, stall_first: bool = False) -> None:
        self.refuse = refuse  # how many messages to answer 451 before accepting
        self.stall_first = stall_first
        self.accepted: list[email.message.Message] = []
        self.refused = 0
        self.first_data = threading.Event()
        self.release = asyncio.Event()
        self._seen = 0
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.controller = aiosmtpd.Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's
        self._seen += 1
        if self._seen == 1:
            self.first_data.set()
            if self.stall_first:
                # The sender dies while waiting for this answer: the message is not taken.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.release.wait(), timeout=30)
                return "451 4.4.2 Connection lost before the message was accepted"
        if self.refused < self.refuse:
            self.refused += 1
            return "451 4.3.0 Mailbox temporarily unavailable, try again later"
        self.accepted.append(email.message_from_bytes(envelope.original_content))
        return "250 2.0.0 Accepted"

    def release_stalled(self) -> None:
        self.controller.loop.call_soon_threadsafe(self.release.set)

    def __enter__(self) -> ScriptedSMTP:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release_stalled()
        self.controller.stop()
