"""Static types of the process language.

Types are small frozen values. ``parse_type`` reads the textual form used in
process files and in action signatures exported by the worker registry
(``text``, ``list of url``, ``one of "a", "b"``), so the checker and the
workers speak the same type names.
"""

from __future__ import annotations

from dataclasses import dataclass

SCALAR_NAMES = (
    "text",
    "number",
    "bool",
    "date",
    "datetime",
    "duration",
    "money",
    "percent",
    "email",
    "url",
    "secret",
    "record",
    "any",
)


@dataclass(frozen=True)
class Scalar:
    """A built-in scalar type such as ``text`` or ``money``."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class ListOf:
    """A list whose items all have one type."""

    item: Type

    def __str__(self) -> str:
        return f"list of {self.item}"


@dataclass(frozen=True)
class OneOf:
    """An enumeration of text values."""

    choices: tuple[str, ...]

    def __str__(self) -> str:
        return "one of " + ", ".join(f'"{c}"' for c in self.choices)


Type = Scalar | ListOf | OneOf

TEXT = Scalar("text")
NUMBER = Scalar("number")
BOOL = Scalar("bool")
DATE = Scalar("date")
DATETIME = Scalar("datetime")
DURATION = Scalar("duration")
MONEY = Scalar("money")
PERCENT = Scalar("percent")
EMAIL = Scalar("email")
URL = Scalar("url")
SECRET = Scalar("secret")
RECORD = Scalar("record")
ANY = Scalar("any")

# Text-like types: an email or url can stand where text is expected.
_TEXT_LIKE = frozenset({"text", "email", "url"})


class TypeSyntaxError(ValueError):
    """A type name that is not one of the language's types."""


def parse_type(text: str) -> Type:
    """Read a type from its textual form, e.g. ``list of text``.

    Raises:
        TypeSyntaxError: if the text names no type.
    """
    words = text.strip()
    if words.startswith("list of "):
        return ListOf(parse_type(words[len("list of ") :]))
    if words.startswith("one of "):
        raw = [c.strip() for c in words[len("one of ") :].split(",")]
        choices = tuple(c.strip('"') for c in raw if c)
        if not choices:
            raise TypeSyntaxError(f"'{text}' lists no choices")
        return OneOf(choices)
    if words in SCALAR_NAMES:
        return Scalar(words)
    raise TypeSyntaxError(f"unknown type '{text}'")


def is_assignable(source: Type, target: Type) -> bool:
    """Whether a value of type ``source`` may be used where ``target`` is expected."""
    if source == target or ANY in (source, target):
        return True
    match source, target:
        case Scalar(s), Scalar(t):
            if "record" in (s, t) or "secret" in (s, t):
                return s == t
            return (s in _TEXT_LIKE and t == "text") or (s == "text" and t in _TEXT_LIKE)
        case OneOf(), Scalar("text"):
            return True
        case OneOf(src), OneOf(dst):
            return set(src) <= set(dst)
        case Scalar("text"), OneOf():
            return True
        case ListOf(a), ListOf(b):
            return is_assignable(a, b)
    return False
