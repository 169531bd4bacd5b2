"""Models and functions the type-checking snippets declare tools, prompts and resources with."""

# pyright: strict

from __future__ import annotations

from pydantic import BaseModel

from http_mcp.types import Arguments, InputRequired, PromptMessage, TextContent


class Query(BaseModel):
    text: str


class Answer(BaseModel):
    text: str


class Other(BaseModel):
    count: int


class Note(BaseModel):
    name: str


def answer(arguments: Arguments[Query]) -> Answer:
    return Answer(text=arguments.inputs.text)


async def answer_async(arguments: Arguments[Query]) -> Answer:
    return Answer(text=arguments.inputs.text)


def answer_or_ask(arguments: Arguments[Query]) -> Answer | InputRequired:
    return Answer(text=arguments.inputs.text)


def answer_as_text(arguments: Arguments[Query]) -> str:
    return arguments.inputs.text


def status() -> str:
    return "ok"


def prompt(arguments: Arguments[Query]) -> list[PromptMessage]:
    return [PromptMessage(role="user", content=TextContent(text=arguments.inputs.text))]


def note(arguments: Arguments[Note]) -> str:
    return arguments.inputs.name


def report() -> str:
    return "all clear"


def suggest(value: str, context: dict[str, str]) -> list[str]:
    return [value]
