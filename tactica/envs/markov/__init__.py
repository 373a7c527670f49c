"""General-sum stochastic (Markov) games: the model, the catalog and the PettingZoo environment."""
