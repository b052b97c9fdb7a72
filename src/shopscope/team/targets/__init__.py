"""Monthly KPI targets and channel budgets, and progress against them.

``store`` keeps targets in the warehouse's ``targets`` table (set, list, CSV import, checks);
``progress`` compares month to date with the pro-rated target and paces budgets. See
``docs/methods/targets.md``.
"""

from shopscope.team.targets.progress import (
    PaceStatus,
    TargetProgress,
    month_days,
    target_progress,
    year_earlier,
)
from shopscope.team.targets.store import (
    CSV_COLUMNS,
    Target,
    import_targets,
    known_channels,
    list_targets,
    parse_month,
    set_target,
    set_targets,
    validate_target,
)

__all__ = [
    "CSV_COLUMNS",
    "PaceStatus",
    "Target",
    "TargetProgress",
    "import_targets",
    "known_channels",
    "list_targets",
    "month_days",
    "parse_month",
    "set_target",
    "set_targets",
    "target_progress",
    "validate_target",
    "year_earlier",
]
