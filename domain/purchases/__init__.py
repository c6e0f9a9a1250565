"""Counter purchases (seed 004): sales paid at once, with their customer aggregates,
status rules and the customer timeline."""
