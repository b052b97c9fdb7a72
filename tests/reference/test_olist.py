"""Olist products (Kaggle olistbr/brazilian-ecommerce): all loaded, categories in English.

Figures from ``../shared/data/olist/SOURCE.md`` ("Files, rows, columns" and "Known quirks").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from shopscope.errors import InvalidInputError
from shopscope.warehouse.connection import Warehouse, connect
from shopscope.warehouse.ingest import IngestReport, ingest_file
from shopscope.warehouse.sources import detect_adapter
from shopscope.warehouse.sources.olist import Olist

pytestmark = pytest.mark.shared_data


@pytest.fixture(scope="module")
def products(shared_data: Path) -> tuple[Warehouse, IngestReport, Path]:
    path = shared_data / "olist" / "olist_products_dataset.csv.gz"
    wh = connect("duckdb://:memory:")
    return wh, ingest_file(wh, path, Olist.for_path(path)), shared_data / "olist"


def one(wh: Warehouse, sql: str) -> object:
    row = wh.duckdb.execute(sql).fetchone()
    assert row is not None
    return row[0]


def test_all_32951_products_loaded(products):
    """SOURCE.md: olist_products_dataset has 32,951 rows (= distinct product_id)."""
    wh, report, _ = products
    assert (report.records, report.loaded, report.quarantined) == (32_951, 32_951, 0)
    assert one(wh, "SELECT count(*) FROM products WHERE item_kind = 'product'") == 32_951


def test_610_products_without_category(products):
    """SOURCE.md "Known quirks": 610 products have no category (nor photo count)."""
    wh, _, _ = products
    assert one(wh, "SELECT count(*) FROM products WHERE category IS NULL") == 610
    assert one(wh, "SELECT count(*) FROM products WHERE image_count IS NULL") == 610


def test_categories_translated_to_english(products):
    """SOURCE.md: 71 translations; pc_gamer and portateis_cozinha_... have none (kept as is).

    32,951 - 610 uncategorised = 32,341 categorised, of which 32,328 have a translation.
    """
    wh, _, olist = products
    translation = olist / "product_category_name_translation.csv"
    english = one(
        wh,
        "SELECT count(*) FROM products p JOIN read_csv("
        f"'{translation}', all_varchar = true) t ON t.product_category_name_english = p.category "
        "AND t.product_category_name = json_extract_string(p.attributes, '$.category_pt')",
    )
    assert english == 32_328
    kept = one(
        wh,
        "SELECT count(*) FROM products WHERE category IN "
        "('pc_gamer', 'portateis_cozinha_e_preparadores_de_alimentos')",
    )
    assert kept == 13
    assert one(
        wh, "SELECT category FROM products WHERE sku = '1e9e8ef04dbcff4541ed26657ea517e5'"
    ) == ("perfumery")


def test_weights_and_attributes(products):
    """SOURCE.md "Known quirks": 2 products have no weight/dimensions."""
    wh, _, _ = products
    assert one(wh, "SELECT count(*) FROM products WHERE weight_g IS NULL") == 2
    assert (
        one(
            wh,
            "SELECT json_extract(attributes, '$.description_length')::INT FROM products "
            "WHERE sku = '1e9e8ef04dbcff4541ed26657ea517e5'",
        )
        == 287
    )


def test_sellers_file_is_refused_with_guidance(shared_data):
    """Sellers (3,095 rows) have no canonical table: refused, naming the supported files."""
    wh = connect("duckdb://:memory:")
    path = shared_data / "olist" / "olist_sellers_dataset.csv"
    with pytest.raises(InvalidInputError, match=r"sellers table.*Supported Olist files"):
        ingest_file(wh, path, detect_adapter)
    assert one(wh, "SELECT count(*) FROM ingest_log") == 0
