"""The Jinja2 templates of the review page and the report: autoescape on for every template
(stored texts are user data: a response holding `<script>` shows as text), never `|safe`."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import jinja2
from starlette.templating import Jinja2Templates

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def num(value: Any) -> str:
    """Scores and margins: 4 significant digits; integers as they are; None as blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    return f"{value:.4g}"


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=False, keep_trailing_newline=True)
    env.globals["num"] = num
    return env


@functools.cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(env=environment())
