"""Tasks with a measurable reward for alignment experiments, generated here from a seed.

* :mod:`~tactica.llm.alignment.tasks.sentiment`: controlled sentiment on a synthetic movie-review corpus, scored
  by a lexicon sentiment scorer (the setting of the IMDb experiment of DPO and TDPO, at a size a CPU can run).
* :mod:`~tactica.llm.alignment.tasks.arithmetic`: multi-step arithmetic with worked solutions and exact answers,
  for ARIES self-refinement.
"""
