"""The adapter registry: names, detection from columns, guidance when nothing matches."""

from __future__ import annotations

from pathlib import Path

import pytest

import shopscope.warehouse.sources as sources
from shopscope.errors import ConfigurationError, MissingColumnsError
from shopscope.warehouse.sources import ADAPTERS, detect_adapter, get_adapter
from shopscope.warehouse.sources.cdnow import Cdnow
from shopscope.warehouse.sources.olist import Olist
from shopscope.warehouse.sources.online_retail import OnlineRetail
from shopscope.warehouse.sources.shopify import Shopify


def test_exports_are_exact():
    assert sorted(sources.__all__) == sorted(
        [
            "ADAPTERS",
            "Cdnow",
            "Olist",
            "OnlineRetail",
            "Shopify",
            "SourceAdapter",
            "SourcePlan",
            "TablePlan",
            "detect_adapter",
            "get_adapter",
        ]
    )


@pytest.mark.parametrize("name", ["online-retail", "cdnow", "olist", "shopify"])
def test_get_adapter_by_name(name):
    adapter = get_adapter(name)
    assert adapter.name == name
    assert isinstance(adapter, ADAPTERS[name])


def test_get_adapter_binds_olist_directory(tmp_path):
    adapter = get_adapter("olist", path=tmp_path / "x.csv")
    assert isinstance(adapter, Olist)
    assert adapter.directory == tmp_path


def test_unknown_name_lists_known_ones():
    with pytest.raises(ConfigurationError, match=r"Unknown source 'magento'.*online-retail, cdnow"):
        get_adapter("magento")


@pytest.mark.parametrize(
    ("columns", "name", "expected"),
    [
        (["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice",
          "CustomerID", "Country"], "online_retail.csv", OnlineRetail),
        (["Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price",
          "Customer ID", "Country"], "online_retail_II.csv", OnlineRetail),
        (["Name", "Email", "Created at", "Lineitem quantity", "Lineitem name", "Lineitem price"],
         "orders_export.csv", Shopify),
        (["product_id", "product_category_name", "product_photos_qty"], "p.csv", Olist),
        (["customer_id  date number_of_cds  dollar_value"], "CDNOW_master.txt", Cdnow),
        (["00004 0001 19970101  2   29.33"], "CDNOW_sample.txt", Cdnow),
        (["line"], "whatever.txt", Cdnow),
    ],
)  # fmt: skip
def test_detect_adapter(columns, name, expected):
    assert isinstance(detect_adapter(columns, Path(name)), expected)


def test_detect_adapter_guidance():
    with pytest.raises(MissingColumnsError, match=r"Use --source NAME or --mapping FILE\.toml"):
        detect_adapter(["sku", "qty"], Path("export.csv"))
    # a one-column file of numbers is only CDNOW when its name says so
    with pytest.raises(MissingColumnsError, match="recognises these columns: 00004 0001"):
        detect_adapter(["00004 0001 19970101  2   29.33"], Path("numbers.txt"))
