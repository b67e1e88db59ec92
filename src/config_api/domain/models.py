"""Request and response models of the HTTP contract (pydantic)."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from config_api.tickers.file import Exchange

NAME_MAX = 50
TICKERS_MAX = 5
TIMEFRAME_MIN, TIMEFRAME_MAX, TIMEFRAME_DEFAULT = 1, 365, 7

# A raw symbol as the client sends it; normalisation and the list check happen in the service.
RawSymbol = Annotated[str, Field(min_length=1, max_length=16)]
RawTickers = Annotated[list[RawSymbol], Field(min_length=1, max_length=TICKERS_MAX)]
Timeframe = Annotated[StrictInt, Field(ge=TIMEFRAME_MIN, le=TIMEFRAME_MAX)]


# Control, format, surrogate, private-use and unassigned characters, and the line and
# paragraph separators (Zl, Zp): they break logs, headers and one-line UIs.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_ZWJ = "\u200d"
# Letters and symbols that render as blank space (Hangul fillers, the blank Braille
# pattern): harmless inside a name, but a name of nothing else would look empty.
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800")
NAME_DESCRIPTION = (
    f"1-{NAME_MAX} characters after trimming surrounding whitespace (counted after NFC "
    "normalisation); no control, invisible or line-separator characters"
)
# The name's limits as the schema can state them: JSON Schema counts the raw string, so the
# pattern bounds what lies between surrounding whitespace (as the server counts it, for NFC
# text). Schema only: clean_name enforces the rules (with messages that say which one).
NAME_PATTERN = rf"^\s*\S(?:.{{0,{NAME_MAX - 2}}}\S)?\s*$"


def _name_schema(schema: dict[str, Any]) -> None:
    schema.update(minLength=1, pattern=NAME_PATTERN)


def _joinable(ch: str) -> bool:
    """Can sit next to a zero-width joiner: a letter, mark (e.g. the emoji variation
    selector, a virama), number, punctuation or symbol."""
    return unicodedata.category(ch)[0] in "LMNPS"


def _visible(ch: str) -> bool:
    """Renders as something on its own (a mark needs a base; spaces and blanks are empty)."""
    return unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK


def clean_name(value: str) -> str:
    """Trim, NFC-normalise, and refuse names that are empty to the eye or that hold
    control/format/line-separator characters (they break logs and UIs)."""
    value = unicodedata.normalize("NFC", value).strip()
    if not value:
        raise ValueError("name must not be blank")
    # The limit is the contract's, after trimming; the body size limit bounds the raw input.
    if len(value) > NAME_MAX:
        raise ValueError(f"name must be at most {NAME_MAX} characters after trimming")
    last = len(value) - 1
    for i, ch in enumerate(value):
        if ch == _ZWJ:
            # It builds emoji sequences and Indic conjuncts, always between two characters.
            if not (0 < i < last and _joinable(value[i - 1]) and _joinable(value[i + 1])):
                raise ValueError("a zero-width joiner is allowed only between two characters")
        elif unicodedata.category(ch) in _INVISIBLE:
            raise ValueError(
                "name must not contain control, invisible or line-separator characters"
            )
    if not any(_visible(ch) for ch in value):
        raise ValueError("name must contain at least one visible character")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


class ConfigurationCreate(_Strict):
    # No max_length: that would count the padding the contract trims away (see clean_name).
    name: str = Field(description=NAME_DESCRIPTION, json_schema_extra=_name_schema)
    tickers: RawTickers = Field(description="1-5 US ticker symbols, e.g. AAPL or BRK.B")
    timeframe_days: Timeframe = TIMEFRAME_DEFAULT
    include_extended_hours: StrictBool = False

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        return clean_name(v)


def _absent_is_unchanged(schema: dict[str, Any]) -> None:
    """A PATCH field's schema is its type only: absent means unchanged and null is refused
    (_not_null), so neither null nor a null default belongs in it. (`X | None` stays the
    Python type: a union with a skipped None would change the error locations.)"""
    schema.pop("default", None)
    types = [t for t in schema.pop("anyOf", []) if t != {"type": "null"}]
    if len(types) == 1:
        schema.update(types[0])


def _patched_name(schema: dict[str, Any]) -> None:
    _absent_is_unchanged(schema)
    _name_schema(schema)


class ConfigurationPatch(_Strict):
    model_config = ConfigDict(json_schema_extra={"minProperties": 1})  # changes nothing: 400

    name: str | None = Field(
        default=None, description=NAME_DESCRIPTION, json_schema_extra=_patched_name
    )
    tickers: RawTickers | None = Field(default=None, json_schema_extra=_absent_is_unchanged)
    timeframe_days: Timeframe | None = Field(default=None, json_schema_extra=_absent_is_unchanged)
    include_extended_hours: StrictBool | None = Field(
        default=None, json_schema_extra=_absent_is_unchanged
    )

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        # Every field of a configuration has a value; an explicit null would erase it.
        if v is None:
            raise ValueError("must not be null")
        return v

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        return None if v is None else clean_name(v)

    def changes(self) -> dict[str, Any]:
        """The fields the client set."""
        return self.model_dump(exclude_unset=True)


class TickerOut(BaseModel):
    symbol: str = Field(description="canonical form, e.g. AAPL or BRK.B")
    name: str = Field(min_length=1)
    exchange: Exchange


class TickerSearchResults(BaseModel):
    results: list[TickerOut] = Field(description="best match first")


class TickerValidation(BaseModel):
    symbol: str = Field(description="the symbol after normalisation (brk-b -> BRK.B)")
    status: Literal["valid", "delisted", "invalid"]
    name: str | None = Field(description="set when valid")
    exchange: Exchange | None = Field(description="set when valid")
    successor: str | None = Field(description="the symbol a delisted one became, if any")
    message: str


class Configuration(BaseModel):
    config_id: str
    name: str
    tickers: list[TickerOut]
    timeframe_days: int
    include_extended_hours: bool
    created_at: datetime
    updated_at: datetime
    version: int = Field(exclude=True, default=1)

    model_config = ConfigDict(
        json_schema_extra={"description": "A saved watchlist configuration"},
        ser_json_timedelta="iso8601",
    )


class ConfigurationList(BaseModel):
    configurations: list[Configuration]
    max_allowed: int


class FieldProblem(BaseModel):
    field: str
    message: str
    type: str
    symbol: str | None = None
    successor: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details, plus a stable machine `code` and the correlation id."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    message: str = Field(description="the same text as `detail`, for clients that show `message`")
    code: str
    correlation_id: str | None = None
    errors: list[FieldProblem] | None = None
    max_allowed: int | None = None
    current_count: int | None = None

    model_config = ConfigDict(extra="allow")
