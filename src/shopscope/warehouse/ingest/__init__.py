"""Ingestion: read a file, apply a source adapter, validate, quarantine and load atomically."""

from shopscope.warehouse.ingest.loader import TableCounts as TableCounts
from shopscope.warehouse.ingest.pipeline import IngestReport as IngestReport
from shopscope.warehouse.ingest.pipeline import ingest_file as ingest_file
from shopscope.warehouse.ingest.pipeline import ingest_path as ingest_path
from shopscope.warehouse.ingest.reader import ReadOptions as ReadOptions

__all__ = ["IngestReport", "ReadOptions", "TableCounts", "ingest_file", "ingest_path"]
