"""SMAC without StarCraft II: an embedded micro simulator with oxwhirl/smac's exact vector contract.

* :class:`SMACEnv` - oxwhirl/smac's ``StarCraft2Env`` API (``backend="sc2"`` delegates to the real game).
* :class:`SMACParallelEnv` - the PettingZoo ``ParallelEnv`` registered as ``SMAC-v0``.
* :class:`SMACVectorEnv` - many battles stepped together (batched NumPy) for training.
* :class:`SMACProgramEnv` - ``SMACProgram-v1``: the action is a Python decision-tree program (LLM-SMAC).
"""

from tactica.envs.smac.api import SMACEnv, StarCraft2Env
from tactica.envs.smac.maps import MAP_NAMES, get_map

__all__ = [
    "MAP_NAMES",
    "SMACEnv",
    "StarCraft2Env",
    "get_map",
    "SMACParallelEnv",
    "SMACVectorEnv",
    "SMACProgramEnv",
]


def __getattr__(name: str):
    # the PettingZoo, vector and program envs import gymnasium/pettingzoo; load them on first use
    if name == "SMACParallelEnv":
        from tactica.envs.smac.env import SMACParallelEnv

        return SMACParallelEnv
    if name == "SMACVectorEnv":
        from tactica.envs.smac.vector import SMACVectorEnv

        return SMACVectorEnv
    if name == "SMACProgramEnv":
        from tactica.envs.smac.program_env import SMACProgramEnv

        return SMACProgramEnv
    raise AttributeError(name)
