"""LLM-SMAC code-policy agent: plan -> code -> run in the sandbox -> critic -> retry."""

from tactica.agents.code_policy.agent import LLMSMACAgent, extract_program

__all__ = ["LLMSMACAgent", "extract_program"]
