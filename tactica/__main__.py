"""``python -m tactica`` runs the ``tactica`` command line."""

import sys

from tactica.cli.main import main

sys.exit(main())
