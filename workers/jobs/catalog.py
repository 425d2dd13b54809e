"""Catalog jobs."""
from app.catalog import services
from workers import job


@job
def extend_inventory_horizon() -> int:
    """Daily: nights up to the horizon exist for every active room type. Safe to run twice."""
    return services.extend_inventory_horizon()
