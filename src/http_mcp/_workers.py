"""uvicorn for `http-mcp run`: listen streams ended on shutdown, in one process or in workers.

uvicorn waits for open connections to close before it runs the application's lifespan
shutdown, so a `subscriptions/listen` stream would hold a stopping server until the client went
away. `Uvicorn` ends those streams gracefully (their final result) as soon as it is asked to
stop. `Workers` is uvicorn's own supervisor whose workers run `Uvicorn`, and which says whether
a worker failed to start, so that the command fails too.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
from typing import Final

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from http_mcp._target import as_asgi, load_target, server_of, use_store
from http_mcp.server import MCPServer

ENV_TARGET: Final = "HTTP_MCP_TARGET"
ENV_PATH: Final = "HTTP_MCP_PATH"
ENV_FACTORY: Final = "HTTP_MCP_FACTORY"

uvicorn_logger = logging.getLogger("uvicorn.error")  # the supervisor's messages, as uvicorn's


class Uvicorn(uvicorn.Server):
    """uvicorn, ending listen streams when asked to stop, before it waits for connections.

    Args:
        config: uvicorn's configuration.
        served: The MCPServer it serves; without it, the one a `WorkerApp` loaded (in a
            worker process or a reload, where it is pickled without one).
    """

    def __init__(self, config: uvicorn.Config, served: MCPServer | None = None) -> None:
        super().__init__(config)
        self._served = served

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        app = self.config.app
        server = app.server if isinstance(app, WorkerApp) else self._served
        if server is not None:
            server.end_listen_streams()
        await super().shutdown(sockets)


class WorkerApp:
    """uvicorn's app factory in worker processes and reloads: the target the parent checked.

    It is pickled into each process, loads the target there from the environment, and
    remembers the MCPServer that process serves.
    """

    def __init__(self) -> None:
        self.server: MCPServer | None = None

    def __call__(self) -> ASGIApp:
        target = load_target(os.environ[ENV_TARGET], factory=bool(os.environ.get(ENV_FACTORY)))
        use_store(target, None)
        self.server = server_of(target)
        app = as_asgi(target, os.environ.get(ENV_PATH, "/mcp"))
        freeze_start_up_objects()
        return app


def freeze_start_up_objects() -> None:
    """Leave the objects built before serving (modules, schemas, the app) out of later collections.

    A request that waits (a sync tool's hand-off to its thread, an async tool awaiting I/O)
    holds its objects meanwhile. With many in flight, CPython promotes them to its oldest
    generation, and every few hundred milliseconds walks that whole generation, tens of
    thousands of start-up objects included: a pause of 10-20 ms for every request in flight.
    Frozen (`gc.freeze`), those objects are no longer walked; garbage made later is collected
    as before.
    """
    gc.collect()
    gc.freeze()


class _Worker(Process):
    """One worker process, serving with `Uvicorn`."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = Uvicorn(self.config)
        return self._server


class Workers(Multiprocess):
    """uvicorn's supervisor of worker processes, whose workers are `_Worker`s.

    Every place uvicorn starts a worker (at start, after one died, on SIGHUP and SIGTTIN) is
    overridden to start a `_Worker` instead; the logic is uvicorn's.
    """

    @property
    def failed_to_start(self) -> bool:
        """Whether it stopped because a worker failed before serving."""
        return any(process.exitcode == STARTUP_FAILURE for process in self.processes)

    def _worker(self) -> Process:
        process = _Worker(self.config, self.sockets)
        process.start()
        return process

    def init_processes(self) -> None:
        for _ in range(self.processes_num):
            self.processes.append(self._worker())

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung: it did not answer the health check
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # The same application would fail the same way in every new worker.
                uvicorn_logger.error(
                    "Child process [%s] failed to start, stopping the parent process.", process.pid
                )
                self.should_exit.set()
                return
            if self.should_exit.is_set():  # pragma: no cover - a signal came meanwhile
                return
            uvicorn_logger.info("Child process [%s] died", process.pid)
            self.processes[index] = self._worker()

    def restart_all(self) -> None:
        for index, old in enumerate(self.processes):
            if self.should_exit.is_set():  # pragma: no cover - stopped during a restart
                return
            new = self._worker()
            ready = new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit)
            if not ready:  # pragma: no cover - a replacement stuck in its startup
                new.kill()
                new.join()
                if not self.should_exit.is_set():
                    uvicorn_logger.error(
                        "New child process [%s] was not ready in time; keeping worker [%s] "
                        "and aborting the restart.",
                        new.pid,
                        old.pid,
                    )
                return
            old.terminate()
            old.join()
            self.processes[index] = new

    def handle_ttin(self) -> None:
        uvicorn_logger.info("Received SIGTTIN, increasing the number of processes.")
        self.processes_num += 1
        self.processes.append(self._worker())
