"""The config's building blocks: pydantic sections whose first error becomes one line naming its dotted key."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, WrapValidator, create_model, model_validator
from pydantic_core import PydanticCustomError

Whole = Annotated[int, Field(gt=0)]  # a positive whole number
Finite = Annotated[float, Field(allow_inf_nan=False)]  # an int or a float, never a boolean, inf or nan
Text = Annotated[str, Field(min_length=1)]
Names = Annotated[tuple[Text, ...], Field(strict=False)]  # a YAML list of non-empty strings
NameSet = Annotated[frozenset[Text], Field(strict=False)]

LIST = "must be a list of non-empty strings"
MESSAGES = {  # pydantic's error types, in this project's words
    "bool_type": "must be true or false, got {input!r}",
    "int_type": "must be a positive whole number, got {input!r}",
    "greater_than": "must be a positive whole number, got {input!r}",
    "float_type": "must be a finite number, got {input!r}",
    "finite_number": "must be a finite number, got {input!r}",
    "greater_than_equal": "must be at least {ge:g}, got {input!r}",
    "string_type": "must be a non-empty string, got {input!r}",
    "string_too_short": "must be a non-empty string, got {input!r}",
    "literal_error": "must be one of {choices}, got {input!r}",
    "dict_type": "must be a mapping, got {kind}",
    "tuple_type": LIST,
    "frozen_set_type": LIST,
}


class ConfigError(ValueError):
    """A config problem at `key` (a dotted path into the YAML file)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


class Section(BaseModel):
    """A mapping of known keys (null is an empty one), strictly typed; frozen once read."""

    model_config = ConfigDict(strict=True, frozen=True)
    unknown_key: ClassVar[str] = "unknown key (expected one of: {known})"

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise PydanticCustomError("mapping", "must be a mapping, got {kind}", {"kind": type(value).__name__})
        for name in value:
            if name not in cls.model_fields:
                raise PydanticCustomError("unknown_key", cls.unknown_key,
                                          {"at": name, "known": ", ".join(sorted(cls.model_fields))})
        return value


def section_of(cls: type, unknown_key: str = Section.unknown_key) -> type[Section]:
    """A Section with the fields of the frozen dataclass `cls`, whose annotations declare the checks.
    `cls` stays the object the router reads: a pydantic model's attributes are several times slower."""
    hints = typing.get_type_hints(cls, include_extras=True)
    base = type(f"{cls.__name__}Keys", (Section,), {"unknown_key": unknown_key})
    fields: dict[str, Any] = {field.name: (hints[field.name], required() if field.default is dataclasses.MISSING
                                           else field.default) for field in dataclasses.fields(cls)}
    return create_model(f"{cls.__name__}Section", __base__=base, **fields)


def required() -> Any:
    """A key without a default: when it is missing, its type's error says `got None`."""
    return Field(None, validate_default=True)


def fail(message: str, at: str | None = None) -> PydanticCustomError:
    """An error to raise from a validator; `at` names a key below the one validated."""
    return PydanticCustomError("config", message, {"at": at} if at else None)


def worded(message: str) -> WrapValidator:
    """Annotates a type: any error of its value is `message` (`{got}`: the value's repr)."""

    def check(value: Any, handler: Callable[[Any], Any]) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise fail(message.replace("{got}", repr(value))) from None

    return WrapValidator(check)


def problem(error: ValidationError) -> tuple[tuple[str | int, ...], str]:
    """The first error: its path below the validated value, and its message."""
    first = error.errors(include_url=False)[0]
    loc, kind, value, ctx = first["loc"], first["type"], first.get("input"), first.get("ctx") or {}
    if ctx.get("at"):
        loc = (*loc, ctx["at"])
    if loc and isinstance(loc[-1], int) and kind.startswith("string"):  # an item of a list of names
        loc, kind = loc[:-1], "tuple_type"
    if kind not in MESSAGES:  # ours (already in our words), or one no config key can cause
        return loc, first["msg"]
    choices = str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")
    return loc, MESSAGES[kind].format(input=value, kind=type(value).__name__, choices=choices, **ctx)


def dotted(key: str, path: tuple[str | int, ...]) -> str:
    return key + "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


S = TypeVar("S", bound=Section)


def parse(model: type[S], value: Any, key: str, context: dict[str, Any] | None = None) -> S:
    """`value` read as `model`, or a ConfigError naming the first bad key below `key`."""
    try:
        return model.model_validate(value, context=context)
    except ValidationError as error:
        path, message = problem(error)
        raise ConfigError(dotted(key, path), message) from None
