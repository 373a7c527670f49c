"""SMAC without StarCraft II: an embedded micro simulator with oxwhirl/smac's exact vector contract.

* :class:`SMACEnv` - oxwhirl/smac's ``StarCraft2Env`` API (``backend="sc2"`` delegates to the real game).
* :class:`SMACParallelEnv` - the PettingZoo ``ParallelEnv`` registered as ``SMAC-v2``.
* :class:`SMACVectorEnv` - many battles stepped together (batched NumPy) for training.
* :class:`SMACProgramEnv` - ``SMACProgram-v3``: the action is a Python decision-tree program (LLM-SMAC).
"""

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
    # the simulator compiles its kernels with numba: the sandbox's process server imports this package for the
    # program-side code only, and must stay small (every program's process is forked from it)
    if name in ("SMACEnv", "StarCraft2Env"):
        from tactica.envs.smac import api

        return getattr(api, name)
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
