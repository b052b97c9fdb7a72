"""Finding providers: each runs one analysis and returns what it noticed as :class:`Finding`.

A provider is ``fn(ctx, params) -> list[Finding]``, registered with ``@provider(name)`` under a
name that rules refer to. Providers raise :class:`~shopscope.errors.ShopscopeError` when their
data is missing; the brief reports that rule as skipped with the message instead of failing.
Each module of this package holds one domain's providers; importing the package registers them.
"""

from shopscope.team.brief.providers import (  # noqa: F401  (registers the providers)
    acquisition,
    cohorts,
    conversion,
    forecasts,
    insight,
    retention,
    routes,
    service,
    supply,
    targets,
    trends,
)
from shopscope.team.brief.providers.registry import PROVIDERS, BriefContext, provider

__all__ = ["PROVIDERS", "BriefContext", "provider"]
