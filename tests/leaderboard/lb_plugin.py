"""The leaderboard test plugin: importing it registers the toys of :mod:`lb_toys` (``--import lb_plugin``)."""

from lb_toys import register_all

register_all()
