"""Check that every server answers every benchmarked request correctly, before any load.

Sends the exact body and headers the load generator will send and asserts on the answer
(a benchmark of error responses is worthless). Run on its own it checks every peer and exits
non-zero on an unexpected failure: `python -m benchmarks.correctness [PEER ...]`.
"""

from __future__ import annotations

import http.client
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from benchmarks import envs, processes
from benchmarks.cases import Case, all_cases, check_answer, headers, request_body
from benchmarks.console import say
from benchmarks.peers import PEERS, Peer


@dataclass(frozen=True)
class Verdict:
    """`reason` is None when the case can be benchmarked on this peer."""

    reason: str | None
    expected: bool = True


def post(url: str, case: Case) -> tuple[int, str, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        connection.request("POST", parts.path, request_body(case), headers(case))
        response = connection.getresponse()
        return response.status, response.getheader("content-type", ""), response.read()
    finally:
        connection.close()


def problem(url: str, case: Case) -> str | None:
    """What is wrong with the server's answer to `case`, or None when it is right."""
    try:
        status, content_type, raw = post(url, case)
    except OSError as exc:
        return f"no answer: {exc}"
    if status != 200:
        return f"HTTP {status}: {raw[:200].decode(errors='replace')}"
    if not content_type.startswith("application/json"):
        return f"Content-Type {content_type!r}, not a JSON response"
    try:
        check_answer(case, json.loads(raw))
    except (AssertionError, ValueError, KeyError, IndexError, TypeError) as exc:
        return f"wrong answer: {exc}"
    return None


def verdict(url: str, peer: Peer, case: Case) -> Verdict:
    found = problem(url, case)
    declared = peer.unsupported.get(case.era)
    if declared is not None:
        if found is None:
            return Verdict(None, expected=False)
        return Verdict(f"{declared} (checked: {found[:120]})")
    return Verdict(found, expected=found is None)


def check_peer(peer: Peer, cases: Iterable[Case]) -> dict[str, Verdict]:
    verdicts: dict[str, Verdict] = {}
    by_tools: dict[int, list[Case]] = {}
    for case in cases:
        by_tools.setdefault(case.tools, []).append(case)
    for tools, group in by_tools.items():
        with processes.http_server(peer, tools) as server:
            for case in group:
                verdicts[case.key] = verdict(server.url, peer, case)
    return verdicts


def report(peer: Peer, verdicts: dict[str, Verdict]) -> bool:
    """Print the verdicts; False when something failed that was not declared unsupported."""
    fine = True
    for key, found in verdicts.items():
        if found.reason is None:
            note = "ok" if found.expected else "ok (declared unsupported, yet answered)"
        else:
            note = ("n/a: " if found.expected else "FAILED: ") + found.reason
        fine = fine and found.expected
        say(f"  {peer.key:<11} {key:<28} {note}")
    return fine


def main(argv: list[str]) -> int:
    chosen = [p for p in PEERS if not argv or p.key in argv]
    interpreter = envs.server_python()
    fine = True
    for peer in chosen:
        envs.ensure(peer, interpreter)
        fine = report(peer, check_peer(peer, all_cases())) and fine
    return 0 if fine else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
