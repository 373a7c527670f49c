"""Baselines: scripted bots per environment and Stable-Baselines3 training entry points."""
