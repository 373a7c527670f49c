"""Scripted baselines for TextSC2-v0."""

from tactica.baselines.textsc2.expert import TextSC2Expert

__all__ = ["TextSC2Expert"]
