"""The ltzoo training program (run from a checkout: ``python -m train RECIPE``)."""
