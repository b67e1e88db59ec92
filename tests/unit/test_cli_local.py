"""`config-api local`: where its emulator process keeps the data, as the command line says.

The emulator child's command line (local/process.py) is read back with the same parser the
child uses, so what is checked is what `config-api emulator` would be asked to do."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from config_api.cli.main import build_parser, cmd_emulator, cmd_local, local_data_dir
from config_api.local.process import command


def emulator_args(*local_argv: str) -> argparse.Namespace:
    """The arguments the emulator child of `config-api local <local_argv>` parses."""
    local = build_parser().parse_args(["local", *local_argv])
    assert local.func is cmd_local
    child = command(local.host, local.emulator_port, local_data_dir(local))
    assert child[1:4] == ["-m", "config_api.cli", "emulator"]
    parsed = build_parser().parse_args(child[3:])
    assert parsed.func is cmd_emulator
    return parsed


def test_plain_local_keeps_its_data_in_local_data_where_it_runs() -> None:
    args = emulator_args()
    assert args.data_dir == ".local-data"  # relative: resolved in the working directory
    assert not Path(args.data_dir).is_absolute()
    assert args.exit_with_parent  # and it stops when `config-api local` does


def test_data_dir_chooses_another_directory(tmp_path: Path) -> None:
    assert emulator_args("--data-dir", str(tmp_path)).data_dir == str(tmp_path)


def test_ephemeral_keeps_nothing() -> None:
    assert emulator_args("--ephemeral").data_dir is None  # the emulator's memory-only mode


def test_ephemeral_and_a_data_dir_are_refused_together(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["local", "--ephemeral", "--data-dir", str(tmp_path)])
