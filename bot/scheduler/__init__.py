"""The tick: plan what is due, then dispatch it through the outbox."""
