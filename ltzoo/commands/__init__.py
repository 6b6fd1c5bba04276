"""The programs behind ``ltzoo train`` and ``ltzoo export`` (also ``python -m train`` /
``python -m export`` in a checkout): each module adds its arguments to a parser and runs them.
Importing them loads no torch; running them does."""
