"""`khata --help` documents every subcommand and option."""

from __future__ import annotations

import re

import pytest

from khata_cli import build_parser

SUBCOMMANDS = {
    "serve": ["--host", "--port"],
    "worker": [],
    "migrate": [],
    "demo": ["--customers"],
    "export-schema": ["--check"],
}
# "  --port PORT    port to listen on ..." (a wide terminal: one line per entry)
OPTION = re.compile(r"^  (--[a-z][a-z-]*)(?: [A-Z_]+)?\s{2,}(\S.*)$")
# "    demo     load demo ...", or a long name alone with its description on the next line
COMMAND = re.compile(r"^    ([a-z][a-z-]*)(?:\s{2,}(\S.*))?$")


def _help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> list[str]:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([*argv, "--help"])
    assert done.value.code == 0
    return capsys.readouterr().out.splitlines()


@pytest.fixture(autouse=True)
def _wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def test_top_level_help_lists_every_subcommand_with_a_description(
    capsys: pytest.CaptureFixture[str],
) -> None:
    lines = _help([], capsys)
    described = {
        m[1]: m[2] or (lines[i + 1].strip() if lines[i + 1].startswith(" " * 8) else "")
        for i, line in enumerate(lines)
        if (m := COMMAND.match(line))
    }
    assert set(described) == set(SUBCOMMANDS)
    assert all(len(text.split()) >= 3 for text in described.values()), described


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_subcommand_help_describes_each_option(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = _help([command], capsys)
    options = {m[1]: m[2] for line in lines if (m := OPTION.match(line))}
    assert sorted(options) == sorted(SUBCOMMANDS[command])
    assert all(len(text.split()) >= 3 for text in options.values()), options
    usage_end = lines.index("")
    description = " ".join(lines[usage_end + 1 : lines.index("", usage_end + 1)])
    assert len(description.split()) >= 5, f"{command} has no description"
