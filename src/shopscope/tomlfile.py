"""Reading a shop's TOML rule file, or the packaged default when none is given."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from shopscope.errors import InvalidInputError

__all__ = ["read_toml"]


def read_toml(path: str | Path | None, package: str, resource: str, what: str) -> dict[str, Any]:
    """The parsed TOML at ``path``, or ``package``'s ``resource`` when ``path`` is None.

    Raises
    ------
    InvalidInputError
        The file cannot be read or is not valid TOML; the message names ``what`` and the file.
    """
    where = str(path) if path is not None else f"{resource} (packaged)"
    try:
        if path is None:
            text = resources.files(package).joinpath(resource).read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInputError(f"Cannot read {what} {where}: {exc}") from exc
