"""Tests of the Stackelberg mean-field macroeconomy, its baselines and SMFRL."""
