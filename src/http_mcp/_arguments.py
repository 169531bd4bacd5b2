"""What a tool or prompt function receives: its validated inputs and the request around them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict
from starlette.requests import Request

TInputs = TypeVar("TInputs", bound=BaseModel)
TValue = TypeVar("TValue")


class NoArguments(BaseModel):
    """Inputs of a tool or prompt that takes none. Unknown fields are ignored."""

    model_config = ConfigDict(extra="ignore")


@dataclass(frozen=True, slots=True)
class Arguments(Generic[TInputs]):
    """The single parameter of a tool or prompt function.

    Attributes:
        inputs: The validated input model.
        request: The Starlette request being answered.

    Example:
        ```python
        async def lookup(arguments: Arguments[LookupInput]) -> LookupOutput:
            db = arguments.get_state_key("db", Database)
            return await db.find(arguments.inputs.vulnerability_id)
        ```
    """

    inputs: TInputs
    request: Request

    def get_state_key(self, key: str, value_type: type[TValue]) -> TValue:
        """Return the lifespan state value `key`, checked to be a `value_type`.

        The state is what the application's lifespan yielded (`yield {"db": db}`).

        Raises:
            KeyError: the lifespan state has no such key.
            TypeError: the value is not a `value_type`.
        """
        state = self.request.scope.get("state") or {}
        if key not in state:
            raise KeyError(
                f"the lifespan state has no key {key!r}; yield a dict holding it from the "
                "application's lifespan"
            )
        value = state[key]
        if not isinstance(value, value_type):
            raise TypeError(
                f"lifespan state {key!r} is a {type(value).__name__}, not a {value_type.__name__}"
            )
        return value
