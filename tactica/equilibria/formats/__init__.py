"""Game and profile file formats: Gambit ``.nfg``, JSON specs, NumPy ``.npz``."""

from tactica.equilibria.formats.io import (
    game_from_spec,
    game_to_spec,
    load_game,
    read_policy,
    read_profile,
    save_game,
    write_policy,
    write_profile,
)
from tactica.equilibria.formats.nfg import NFGFormatError, parse_nfg, read_nfg, to_nfg, write_nfg

__all__ = [
    "NFGFormatError",
    "game_from_spec",
    "game_to_spec",
    "load_game",
    "parse_nfg",
    "read_nfg",
    "read_policy",
    "read_profile",
    "save_game",
    "to_nfg",
    "write_nfg",
    "write_policy",
    "write_profile",
]
