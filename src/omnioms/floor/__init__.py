"""The shop floor: reports against the published plan, the daily close, exceptions, T-3."""
