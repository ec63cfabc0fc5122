"""What a process picture is made of: shapes, arrows and the scene they form.

Every format draws a :class:`Scene` (``mops graph``, the audit report's picture
of the path a campaign took); the renderers and the SVG layout share these.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Shape:
    """One step as drawn: its graph node id, its shape, and up to two pieces of text."""

    id: str
    shape: str
    """circle | double_circle | dot | box | subroutine | rounded | diamond | hexagon |
    stadium | parallelogram | fork | join"""
    title: str
    detail: str | None = None


@dataclass(frozen=True)
class Arrow:
    """One graph edge as drawn; ``key`` tells apart two edges between the same steps."""

    source: str
    target: str
    key: str
    label: str | None
    dashed: bool


@dataclass(frozen=True)
class Scene:
    """What every format draws: shapes in file order, arrows in graph order."""

    name: str
    title: str | None
    shapes: tuple[Shape, ...]
    arrows: tuple[Arrow, ...]

    @property
    def heading(self) -> str:
        """``launch: Campaign launch``, or just the name for an untitled process."""
        return self.name if self.title is None else f"{self.name}: {self.title}"
