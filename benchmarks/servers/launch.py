"""Serve one benchmarked library: `python -m benchmarks.servers.launch PEER --tools N ...`.

Over HTTP every library runs under the same uvicorn settings (one worker, uvloop, httptools,
access log off); with `--stdio` it runs its own STDIO transport.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import os

import uvicorn

PEERS = ("floor", "httpmcp", "httpmcp018", "sdk", "fastmcp")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("peer", choices=PEERS)
    parser.add_argument("--tools", type=int, default=51, help="how many tools to register")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stdio", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    module = importlib.import_module(f"benchmarks.servers.{args.peer}_app")
    if args.stdio:
        module.serve_stdio(args.tools)
        return
    app = module.build_app(args.tools)
    # What `http-mcp run` does before serving, done here for every library alike: the objects
    # built at start-up are left out of later garbage collections (see the README).
    if os.environ.get("BENCH_GC_FREEZE", "1") != "0":
        gc.collect()
        gc.freeze()
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=args.port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
