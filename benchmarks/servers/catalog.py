"""The tools every benchmarked server offers, described once with Pydantic only.

`add` is the tool the call cases exercise. Around it sit realistic tools (five described
fields each) that make the lists and the lookups the size a real server has. Every app module
builds its own library's declarations from these specs, so all servers expose the same names,
fields, descriptions and defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, create_model

ADD_NAME = "add"
ADD_DESCRIPTION = "Add two integers and return their sum."
DOCUMENT_TOOL = "upload_document"
SERVER_NAME = "bench"
SERVER_VERSION = "1.0.0"


class AddInput(BaseModel):
    a: int = Field(description="The first addend")
    b: int = Field(description="The second addend")


class AddOutput(BaseModel):
    sum: int = Field(description="a + b")


class Receipt(BaseModel):
    tool: str = Field(description="The tool that handled the call")
    characters: int = Field(description="Total length of the text arguments received")


def add_result(a: int, b: int) -> AddOutput:
    return AddOutput(sum=a + b)


def receipt(tool: str, arguments: dict[str, Any]) -> Receipt:
    size = sum(len(v) for v in arguments.values() if isinstance(v, str))
    return Receipt(tool=tool, characters=size)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    annotation: Any
    description: str
    default: Any = ...

    @property
    def required(self) -> bool:
        return self.default is ...


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    fields: tuple[FieldSpec, ...]
    model: type[BaseModel]


Priority = Literal["low", "medium", "high", "critical"]
Order = Literal["asc", "desc"]

_FIELDS: dict[str, FieldSpec] = {
    f.name: f
    for f in (
        FieldSpec("query", str, "Free-text search terms; quotes match an exact phrase"),
        FieldSpec("project", str, "Key of the project the items belong to, e.g. 'OPS'"),
        FieldSpec("limit", int, "Largest number of items to return (1-200)", 20),
        FieldSpec("cursor", str | None, "Opaque cursor from a previous page, if any", None),
        FieldSpec("include_archived", bool, "Whether archived items are included", False),
        FieldSpec("order", Order, "Sort direction of the results", "desc"),
        FieldSpec("user_id", str, "Identifier of the user, as returned by find_user"),
        FieldSpec("title", str, "Short human-readable title"),
        FieldSpec("content", str, "Body text; Markdown is accepted"),
        FieldSpec("tags", list[str], "Labels to attach, without the leading '#'", []),
        FieldSpec("priority", Priority, "How urgent the item is", "medium"),
        FieldSpec("due_date", str | None, "Due date as YYYY-MM-DD, if any", None),
        FieldSpec("region", str, "Cloud region, e.g. 'eu-west-1'", "us-east-1"),
        FieldSpec("dry_run", bool, "Validate the request without changing anything", False),
        FieldSpec("item_id", str, "Identifier of the item to act on"),
    )
}

_TOOLS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "search_issues",
        "Search issues by text across a project.",
        ("query", "project", "limit", "cursor", "include_archived"),
    ),
    (
        "get_issue",
        "Fetch one issue with its comments.",
        ("item_id", "project", "include_archived", "order", "limit"),
    ),
    (
        "create_issue",
        "Open a new issue in a project.",
        ("project", "title", "content", "priority", "tags"),
    ),
    (
        "update_issue",
        "Change the title, body or priority of an issue.",
        ("item_id", "title", "content", "priority", "dry_run"),
    ),
    (
        "close_issue",
        "Close an issue, optionally as a duplicate.",
        ("item_id", "project", "content", "dry_run", "tags"),
    ),
    (
        "list_comments",
        "List the comments of an issue, newest first.",
        ("item_id", "limit", "cursor", "order", "include_archived"),
    ),
    (
        "add_comment",
        "Add a comment to an issue.",
        ("item_id", "content", "user_id", "tags", "dry_run"),
    ),
    (
        "find_user",
        "Find users by name or e-mail.",
        ("query", "limit", "cursor", "include_archived", "order"),
    ),
    (
        "get_user",
        "Fetch a user's profile and team memberships.",
        ("user_id", "include_archived", "project", "limit", "order"),
    ),
    (
        "assign_issue",
        "Assign an issue to a user.",
        ("item_id", "user_id", "project", "dry_run", "content"),
    ),
    (
        "list_projects",
        "List the projects the caller can see.",
        ("query", "limit", "cursor", "include_archived", "order"),
    ),
    (
        "create_project",
        "Create a project with a key and a title.",
        ("project", "title", "content", "tags", "dry_run"),
    ),
    (
        "search_documents",
        "Search the knowledge base.",
        ("query", "project", "limit", "cursor", "tags"),
    ),
    (
        "get_document",
        "Fetch a knowledge-base document as Markdown.",
        ("item_id", "project", "include_archived", "limit", "order"),
    ),
    (
        DOCUMENT_TOOL,
        "Upload a Markdown document to the knowledge base.",
        ("title", "content", "project", "tags", "dry_run"),
    ),
    (
        "delete_document",
        "Delete a knowledge-base document.",
        ("item_id", "project", "dry_run", "content", "user_id"),
    ),
    (
        "list_deployments",
        "List recent deployments of a service.",
        ("project", "region", "limit", "cursor", "order"),
    ),
    (
        "deploy_service",
        "Deploy the latest build of a service.",
        ("project", "region", "dry_run", "content", "tags"),
    ),
    (
        "rollback_service",
        "Roll a service back to its previous release.",
        ("project", "region", "dry_run", "item_id", "content"),
    ),
    (
        "get_service_health",
        "Report the health checks of a service.",
        ("project", "region", "include_archived", "limit", "order"),
    ),
    (
        "query_logs",
        "Search service logs for a time window.",
        ("query", "project", "region", "limit", "cursor"),
    ),
    (
        "query_metrics",
        "Read a metric series for a service.",
        ("query", "project", "region", "limit", "order"),
    ),
    (
        "list_alerts",
        "List firing and recent alerts.",
        ("project", "priority", "limit", "cursor", "include_archived"),
    ),
    (
        "ack_alert",
        "Acknowledge an alert.",
        ("item_id", "user_id", "content", "dry_run", "priority"),
    ),
    (
        "create_incident",
        "Open an incident and page the on-call engineer.",
        ("title", "content", "priority", "project", "tags"),
    ),
    (
        "resolve_incident",
        "Resolve an incident with a summary.",
        ("item_id", "content", "user_id", "dry_run", "tags"),
    ),
    (
        "list_oncall",
        "Show who is on call for a team.",
        ("project", "limit", "cursor", "order", "due_date"),
    ),
    (
        "search_code",
        "Search source code across repositories.",
        ("query", "project", "limit", "cursor", "include_archived"),
    ),
    (
        "get_file",
        "Read a file from a repository at a revision.",
        ("item_id", "project", "query", "include_archived", "limit"),
    ),
    (
        "list_pull_requests",
        "List open pull requests.",
        ("project", "user_id", "limit", "cursor", "order"),
    ),
    (
        "review_pull_request",
        "Post a review on a pull request.",
        ("item_id", "content", "priority", "dry_run", "tags"),
    ),
    (
        "merge_pull_request",
        "Merge a pull request once checks pass.",
        ("item_id", "project", "dry_run", "content", "user_id"),
    ),
    (
        "list_builds",
        "List CI builds of a branch.",
        ("project", "query", "limit", "cursor", "order"),
    ),
    (
        "retry_build",
        "Retry a failed CI build.",
        ("item_id", "project", "dry_run", "content", "region"),
    ),
    (
        "send_message",
        "Send a chat message to a channel.",
        ("project", "content", "user_id", "tags", "dry_run"),
    ),
    ("search_messages", "Search chat history.", ("query", "project", "limit", "cursor", "order")),
    (
        "schedule_meeting",
        "Schedule a meeting with attendees.",
        ("title", "user_id", "due_date", "content", "dry_run"),
    ),
    (
        "list_events",
        "List calendar events in a date range.",
        ("user_id", "due_date", "limit", "cursor", "order"),
    ),
    ("create_task", "Create a to-do task.", ("title", "content", "due_date", "priority", "tags")),
    ("complete_task", "Mark a task as done.", ("item_id", "user_id", "content", "dry_run", "tags")),
    (
        "list_invoices",
        "List invoices of a customer.",
        ("user_id", "limit", "cursor", "order", "include_archived"),
    ),
    (
        "refund_payment",
        "Refund a payment, fully or in part.",
        ("item_id", "content", "dry_run", "priority", "user_id"),
    ),
    (
        "lookup_customer",
        "Find a customer by name, e-mail or id.",
        ("query", "limit", "include_archived", "order", "region"),
    ),
    (
        "update_customer",
        "Change a customer's contact details.",
        ("user_id", "content", "region", "dry_run", "tags"),
    ),
    (
        "list_feature_flags",
        "List feature flags and their rollout.",
        ("project", "query", "limit", "cursor", "include_archived"),
    ),
    (
        "set_feature_flag",
        "Turn a feature flag on or off for a region.",
        ("item_id", "region", "dry_run", "content", "project"),
    ),
    (
        "run_sql",
        "Run a read-only SQL query on the analytics warehouse.",
        ("query", "project", "limit", "region", "dry_run"),
    ),
    (
        "describe_table",
        "Describe the columns of a warehouse table.",
        ("item_id", "project", "region", "include_archived", "limit"),
    ),
    (
        "translate_text",
        "Translate text into another language.",
        ("content", "query", "project", "tags", "dry_run"),
    ),
    (
        "summarize_text",
        "Summarize a long text into a few sentences.",
        ("content", "title", "limit", "tags", "dry_run"),
    ),
)
REALISTIC_TOOL_COUNT = len(_TOOLS)


def _model(name: str, fields: tuple[FieldSpec, ...]) -> type[BaseModel]:
    definitions: dict[str, Any] = {
        f.name: (Annotated[f.annotation, Field(description=f.description)], f.default)
        for f in fields
    }
    return create_model(f"{name.title().replace('_', '')}Input", **definitions)


def tool_specs(count: int) -> tuple[ToolSpec, ...]:
    """`count - 1` tools besides `add`: the realistic ones, then numbered copies of them."""
    specs = []
    for index in range(count - 1):
        base, description, field_names = _TOOLS[index % REALISTIC_TOOL_COUNT]
        round_ = index // REALISTIC_TOOL_COUNT
        name = base if round_ == 0 else f"{base}_{round_}"
        fields = tuple(_FIELDS[f] for f in field_names)
        specs.append(ToolSpec(name, description, fields, _model(name, fields)))
    return tuple(specs)
