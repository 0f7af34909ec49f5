"""Each channel's order flow as data: versioned stages and transitions, guards and effects."""
