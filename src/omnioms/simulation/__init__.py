"""A simulated company run day by day through omnioms's services, against baseline policies."""

POLICIES = ("omnioms", "fifo-mto", "reorder-point-edd")
"""The policies a scenario runs under: omnioms's own and the two baselines (docs/simulation.md).
Here rather than in ``engine`` so that the command line can list them without importing pandas."""
