"""Text FrozenLake: Gymnasium's ``FrozenLake-v1`` grid with a text observation and named actions."""
