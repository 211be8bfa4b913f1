"""The world's proxy on its own event loop in a daemon thread, for tests and an in-process lab."""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType

from scenarios.lab.proxy_records import ProxyRecords
from scenarios.lab.world_proxy import WorldProxy


class ProxyThread:
    """`with ProxyThread(WorldProxy(routes)) as proxy:` serves until the block ends."""

    def __init__(self, proxy: WorldProxy) -> None:
        self.proxy = proxy
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name="world-proxy", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def records(self) -> ProxyRecords:
        return self.proxy.records

    def start(self, timeout: float = 30.0) -> ProxyThread:
        self._thread.start()
        if not self._started.wait(timeout):
            raise RuntimeError(f"the world's proxy did not start within {timeout:.0f} s")
        if self._error is not None:
            raise RuntimeError(f"the world's proxy did not start: {self._error}")
        return self

    def stop(self, timeout: float = 30.0) -> None:
        if self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._main())
        finally:
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            await self.proxy.start()
        except OSError as exc:
            self._error = exc
            self._started.set()
            return
        self._started.set()
        try:
            await self._stop.wait()
        finally:
            await self.proxy.close()

    def __enter__(self) -> ProxyThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
