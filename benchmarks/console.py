"""Progress lines on the terminal."""

from __future__ import annotations


def say(text: str) -> None:
    print(text, flush=True)  # noqa: T201 - the harness's progress is meant for the terminal
