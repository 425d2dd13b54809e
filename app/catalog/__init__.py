"""Hotels, room types, rooms, nightly rates and the per-night inventory."""
