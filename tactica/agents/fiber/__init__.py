"""Recognisers for the fibre stream: the multi-view fusion network, the CUSUM detector, the feature classifier.

:mod:`~tactica.agents.fiber.network` (the torch model), :mod:`~tactica.agents.fiber.recognizer` (model plus
preprocessing, checkpoints), :mod:`~tactica.agents.fiber.features` (hand-crafted features),
:mod:`~tactica.agents.fiber.classical` (baselines), :mod:`~tactica.agents.fiber.train` (the training and transfer
study), :mod:`~tactica.agents.fiber.monitor` (detector-then-network streaming),
:mod:`~tactica.agents.fiber.agents` (the registered agents) and :mod:`~tactica.agents.fiber.episodes` (their
in-environment table).  Weights ship in ``weights/``.
"""
