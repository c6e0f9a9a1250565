"""Orders: what a customer asked for, its delivery and its status timeline (seed 002)."""
