"""shopscope: an open-source e-commerce operations platform.

The data platform lives in :mod:`shopscope.warehouse`; domain packages build on it.
"""

from importlib.metadata import PackageNotFoundError, version

from shopscope.warehouse.connection import Warehouse as Warehouse
from shopscope.warehouse.connection import connect as connect

try:
    __version__ = version("shopscope")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["Warehouse", "__version__", "connect"]
