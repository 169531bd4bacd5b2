"""The tools of the suite's `tasks-*` scenarios (the 2026-07-28 tasks extension)."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field

from http_mcp.exceptions import ToolError
from http_mcp.jsonrpc import INTERNAL_ERROR, JSONRPCError
from http_mcp.types import Arguments, Elicitation, InputRequired, NoArguments, Tool


class GreetInput(BaseModel):
    name: str = Field(description="Who to greet")


class ComputeInput(BaseModel):
    seconds: float = Field(default=1, ge=0, le=600, description="How long to work")
    label: str = Field(default="job", description="A name for the result")


class FileInput(BaseModel):
    filename: str = Field(default="file.txt", description="The file to delete")


class Confirm(BaseModel):
    confirm: bool = Field(description="Go ahead?")


class Answer(BaseModel):
    value: str = Field(default="", description="Your answer")


def greet(arguments: Arguments[GreetInput]) -> str:
    """Greet someone (never a task)."""
    return f"Hello, {arguments.inputs.name}!"


async def slow_compute(arguments: Arguments[ComputeInput]) -> str:
    """Work for `seconds`, then report; a task when the client supports tasks."""
    await asyncio.sleep(arguments.inputs.seconds)
    return f"{arguments.inputs.label}: done after {arguments.inputs.seconds} s"


async def failing_job() -> str:
    """Work for a second, then fail as a tool (always a task)."""
    await asyncio.sleep(1)
    raise ToolError("the job failed")


async def protocol_error_job() -> str:
    """Fail with a protocol error."""
    raise JSONRPCError(INTERNAL_ERROR, "the job could not run")


def confirm_delete(arguments: Arguments[FileInput]) -> Any:
    """Ask for a confirmation, then delete the file."""
    answer = arguments.elicitation("confirm")
    if answer is None:
        question = f"Delete {arguments.inputs.filename}?"
        return InputRequired({"confirm": Elicitation(question, Confirm)})
    if answer.action == "accept" and (answer.content or {}).get("confirm"):
        return f"Deleted {arguments.inputs.filename}"
    return f"Kept {arguments.inputs.filename}"


def multi_input(arguments: Arguments[NoArguments]) -> Any:
    """Ask two questions at once, then answer with both."""
    first, second = arguments.elicitation("first"), arguments.elicitation("second")
    if first is None or second is None:
        first_question = Elicitation("First answer?", Answer)
        return InputRequired({"first": first_question, "second": Elicitation("Second?", Answer)})
    return f"first: {first.content}, second: {second.content}"


class NameForm(BaseModel):
    name: str = Field(description="Your name")


def ask_user_name(arguments: Arguments[NoArguments]) -> InputRequired | None:
    """Before the task: ask who the work is for."""
    if arguments.elicitation("user_name") is None:
        return InputRequired({"user_name": Elicitation("Who is this for?", NameForm)})
    return None


async def test_tool_with_task(arguments: Arguments[NoArguments]) -> str:
    """Ask a name before the task starts, then work for it as a task."""
    answer = arguments.elicitation("user_name")
    name = (answer.content or {}).get("name", "nobody") if answer is not None else "nobody"
    await asyncio.sleep(0.1)
    return f"Finished the work for {name}"


TASK_TOOLS: tuple[Tool, ...] = (
    Tool(func=greet),
    Tool(func=slow_compute, task="optional"),
    Tool(func=failing_job, task="required"),
    Tool(func=protocol_error_job, task="optional"),
    Tool(func=confirm_delete, task="optional"),
    Tool(func=multi_input, task="optional"),
    Tool(func=test_tool_with_task, task="required", before_task=ask_user_name),
)
