"""``python -m ltzoo``: the same command line as the ``ltzoo`` script (see :mod:`ltzoo.cli`)."""

from .cli import main

raise SystemExit(main())
