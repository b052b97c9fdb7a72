"""Storefront intelligence: recommendations (``recommend``) and the customer-service assistant."""

__all__: list[str] = []
