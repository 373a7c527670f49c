"""Chain of Summarization (Ma et al., 2023) for TextSC2-v1."""

from tactica.agents.summarization.cos import ChainOfSummarizationAgent, DecisionRecord, mix_actions

__all__ = ["ChainOfSummarizationAgent", "DecisionRecord", "mix_actions"]
