"""Fibre-optic pipeline sensing: a DAS (phi-OTDR) physics simulator, seeded event streams, ``FiberStream-v1``
and its multi-agent variant ``FiberSegments-v1``.

Modules: :mod:`~tactica.envs.fiber.constants` (physical constants with sources), :mod:`~tactica.envs.fiber.physics`
(ground propagation and the interrogator), :mod:`~tactica.envs.fiber.sources` (event source models),
:mod:`~tactica.envs.fiber.stream` (domains and the event stream), :mod:`~tactica.envs.fiber.scoring` (reward
and alarm metrics), :mod:`~tactica.envs.fiber.datasets` (simulated, ``.mat`` and numpy data sets) and
:mod:`~tactica.envs.fiber.env` (the Gymnasium environment) and :mod:`~tactica.envs.fiber.segments` (one PettingZoo
agent per fibre segment).  See ``docs/fiber.md``.
"""
