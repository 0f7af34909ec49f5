"""A simulated company run day by day through omnioms's services, against baseline policies."""
