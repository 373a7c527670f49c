"""tactica: environments, agents, language-model backends and equilibrium solvers for multi-agent research.

Importing the package registers every environment (see :mod:`tactica.envs`).
"""

from __future__ import annotations

__version__ = "0.1.0"

from tactica.envs import make, make_aec, make_parallel, registry, spec  # noqa: E402  (registers the ids)

__all__ = ["__version__", "make", "make_aec", "make_parallel", "registry", "spec"]
