"""Neural-network building blocks (being filled)."""
