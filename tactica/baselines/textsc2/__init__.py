"""Scripted baselines for TextSC2-v1."""

from tactica.baselines.textsc2.expert import TextSC2Expert

__all__ = ["TextSC2Expert"]
