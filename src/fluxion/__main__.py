"""``python -m fluxion``: the command line (see :mod:`fluxion.cli`)."""

import sys

from fluxion.cli import main

sys.exit(main())
