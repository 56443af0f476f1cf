"""Every CLI command has help text and appears in the README; the README's set-up is true."""

from __future__ import annotations

import click

from prefstore.cli import main

from .conftest import REPO


def commands(group: click.Group, prefix: str = "prefstore") -> dict[str, click.Command]:
    found = {}
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found[path] = command
        if isinstance(command, click.Group):
            found.update(commands(command, path))
    return found


def test_every_command_has_help_and_is_in_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for path, command in commands(main).items():
        assert (command.help or "").strip(), f"{path} has no help text"
        assert f"`{path}" in readme or f"{path} " in readme, f"{path} is not documented in README.md"


def test_readme_starts_with_the_two_commands_and_ci_runs_the_tests():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block
    assert "make test" in (REPO / ".ci" / "run").read_text()
    makefile = (REPO / "Makefile").read_text()
    assert "demo:" in makefile and "test:" in makefile
