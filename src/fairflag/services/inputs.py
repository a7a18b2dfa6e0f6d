"""The base of every input model: unknown fields are refused, and no string may hold a NUL or other
C0 control character except tab and newline (PostgreSQL cannot store NUL; none belongs in an id or
text a person wrote)."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _walk(value: Any) -> None:
    if isinstance(value, str):
        if _FORBIDDEN.search(value):
            raise ValueError("must not contain NUL or control characters")
    elif isinstance(value, dict):
        for k, v in value.items():
            _walk(k)
            _walk(v)
    elif isinstance(value, list | tuple):
        for item in value:
            _walk(item)


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        _walk(value)
        return value
