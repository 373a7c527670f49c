"""Names of the preference losses, importable without torch (the ``tactica`` command builds its parser from
them)."""

LOSSES = ("dpo", "ipo", "hinge", "tdpo1", "tdpo2")
KL_LOSSES = ("tdpo1", "tdpo2")  # losses whose gradient needs the full-vocabulary KL
