"""Ids retired by a version bump fail with an error naming their replacement, through every door."""

from __future__ import annotations

import gymnasium as gym
import pytest

import tactica
from tactica.errors import RetiredIdError

RETIRED = {
    "ONUW-v0": "ONUW-v1",
    "SMACProgram-v0": "SMACProgram-v3",
    "SMACProgram-v1": "SMACProgram-v3",
    "SMACProgram-v2": "SMACProgram-v3",
    "SMAC-v0": "SMAC-v2",
    "SMAC-v1": "SMAC-v2",
    "TextSC2-v0": "TextSC2-v1",
    "FiberStream-v0": "FiberStream-v1",
    "FiberSegments-v0": "FiberSegments-v1",
    "MacroSMFG-v0": "MacroSMFG-v1",
    "MacroLeader-v0": "MacroLeader-v1",
}


@pytest.mark.parametrize("old, new", RETIRED.items())
def test_retired_id_names_its_replacement(old, new):
    assert new in tactica.registry() and old not in tactica.registry()
    with pytest.raises(RetiredIdError, match=f"'{old}' was retired when .*; make '{new}' instead"):
        tactica.spec(old)
    with pytest.raises(RetiredIdError, match=f"make '{new}' instead"):
        tactica.make(old)


def test_gymnasium_make_of_a_retired_id_names_its_replacement():
    with pytest.raises(RetiredIdError, match="make 'FiberStream-v1' instead"):
        gym.make("FiberStream-v0")


def test_cli_exits_2_with_one_line_naming_the_replacement(capsys):
    from tactica.cli.main import main

    assert main(["play", "MacroSMFG-v0", "--episodes", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "make 'MacroSMFG-v1' instead" in err[0]
