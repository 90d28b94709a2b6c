"""What the drills break: a Redis server of their own, and a TCP proxy they can cut.

Nothing here touches a server that others use: the Redis server is started (and stopped,
frozen, thawed) here, on a port of its own; PostgreSQL, which the machine shares, is made
"down" for the portal by cutting the proxy its processes connect through.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import threading
import time
from pathlib import Path

from tests.helpers import free_port


class RedisServer:
    """``redis-server`` with the settings of docker-compose.yml, on a port of its own.

    Append-only persistence as in production, so stopping and starting it again keeps the
    queues; ``freeze`` (SIGSTOP) leaves its connections open and unanswered.
    """

    def __init__(self, directory: Path, log: Path):
        self.port = free_port()
        self.directory = directory
        self.log_path = log
        self.process: subprocess.Popen | None = None
        self.frozen = False

    def url(self, database: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
                + ["--dir", str(self.directory), "--save", "", "--appendonly", "yes"]
                + ["--maxmemory", "512mb", "--maxmemory-policy", "volatile-lru"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.wait_answering()

    def wait_answering(self, timeout: float = 20) -> None:
        import redis

        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
            time.sleep(0.05)

    def stop(self) -> None:
        """Shut down as ``docker stop`` would (SIGTERM: the append-only file is flushed)."""
        if self.process is None:
            return
        if self.frozen:
            self.thaw()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)
        self.frozen = True

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)
        self.frozen = False

    def client(self, database: int = 0):
        import redis

        return redis.Redis(port=self.port, db=database, socket_timeout=5)


class TcpProxy:
    """Forwards a port of its own to ``target``; ``cut`` makes the target unreachable.

    Cut, it closes every open connection and stops listening, so new connections are
    refused, as when the server's machine is gone; ``restore`` listens again on the same
    port. It runs an event loop in a thread of its own.
    """

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    def start(self) -> None:
        self.thread.start()
        self._run(self._listen())

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    async def _listen(self) -> None:
        self.server = await asyncio.start_server(
            self._connection, "127.0.0.1", self.port, reuse_address=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _connection(self, reader, writer) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        pair = {writer, upstream_writer}
        self.writers |= pair
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
            )
        finally:
            self.writers -= pair

    async def _cut(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for writer in list(self.writers):
            writer.transport.abort()
        self.writers.clear()

    def cut(self) -> None:
        self._run(self._cut())

    def restore(self) -> None:
        if self.server is None:
            self._run(self._listen())

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
