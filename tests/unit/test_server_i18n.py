"""English and Simplified Chinese: complete catalogs, no untranslated text, localised formats."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest

import shopscope.server
from shopscope.insight.breakdowns import DIMENSIONS
from shopscope.insight.kpis import KPI_KEYS
from shopscope.insight.live import LIVE_FIGURES
from shopscope.retention.rfm import load_segment_rules
from shopscope.server.i18n import LANGUAGES, Formatter, catalog, pick_language
from shopscope.server.pages import nav_items
from shopscope.team import role_model

SERVER = Path(shopscope.server.__file__).resolve().parent
TEMPLATES = sorted((SERVER / "templates").rglob("*.html"))
SOURCES = sorted(SERVER.rglob("*.py"))
# t("key") / t('key') with a literal key, in templates and in Python
LITERAL_KEY = re.compile(r"""\bt\(\s*["']([a-z_]+(?:\.[A-Za-z_' ]+)+)["']\s*[,)]""")


def test_both_languages_define_the_same_messages():
    en, zh = catalog("en").messages, catalog("zh").messages
    assert sorted(en) == sorted(zh)
    placeholders = re.compile(r"\{(\w+)\}")
    for key in en:
        assert set(placeholders.findall(en[key])) == set(placeholders.findall(zh[key])), key
        assert zh[key].strip(), key


def test_chinese_messages_are_translated():
    en, zh = catalog("en").messages, catalog("zh").messages
    # identical only where the text is a name or symbol in both languages
    same = {k for k in en if en[k] == zh[k]}
    assert same <= {"app.name", "period.range", "model.bgnbd"}, same


def test_every_literal_key_used_exists():
    used: set[str] = set()
    for path in TEMPLATES + SOURCES:
        used |= set(LITERAL_KEY.findall(path.read_text(encoding="utf-8")))
    used |= {item.label for item in nav_items()}
    missing = sorted(k for k in used if not catalog("en").has(k))
    assert not missing and len(used) > 50


def test_every_computed_key_exists():
    cat = catalog("zh")
    keys = [f"kpi.{k}" for k in KPI_KEYS] + [f"live.{k}" for k in LIVE_FIGURES]
    keys += [f"dimension.{d}" for d in DIMENSIONS] + [f"role.{r}" for r in role_model().roles]
    keys += [f"segment.{r.name}" for r in load_segment_rules()]
    keys += [f"factor.{f}" for f in ("traffic", "conversion", "order_value")]
    assert [k for k in keys if not cat.has(k)] == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_templates_have_no_untranslated_text(template):
    """Text in a template must come from t(...): strip Jinja and tags, no letters may remain."""
    text = template.read_text(encoding="utf-8")
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    text = re.sub(r"\{%.*?%\}", "", text, flags=re.S)
    text = re.sub(r"\{\{.*?\}\}", "", text, flags=re.S)
    text = re.sub(r"<script\b[^>]*>.*?</script>", "", text, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    leftovers = [w for w in re.findall(r"[^\W\d_]{2,}", text) if w.lower() != "doctype"]
    assert leftovers == [], f"untranslated text in {template.name}: {leftovers[:10]}"


def test_attributes_shown_to_people_are_translated():
    for template in TEMPLATES:
        text = template.read_text(encoding="utf-8")
        for attr in re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', text):
            assert attr.startswith("{{") or not re.search(r"[A-Za-z]", attr), (template.name, attr)


def test_missing_key_is_marked_not_silently_english():
    assert catalog("zh")("no.such.key") == "⟦no.such.key⟧"


def test_formats_per_language():
    en, zh = Formatter("en"), Formatter("zh")
    assert en.number(1234567.891, 2) == "1,234,567.89" == zh.number(1234567.891, 2)
    assert en.number(123456, compact=True) == "123.5k"
    assert zh.number(123456, compact=True) == "12.3万"
    assert zh.number(345_000_000, compact=True) == "3.5亿"
    assert en.money(-1234.5, "GBP") == "-£1,234.50" and zh.money(1234.5, "CNY") == "¥1,234.50"
    assert en.money(3, "XYZ") == "XYZ 3.00"
    assert en.percent(0.1234) == "12.3%" and zh.percent(-0.05, signed=True) == "-5.0%"
    assert (
        en.date(date(2026, 6, 30)) == "30 Jun 2026"
        and zh.date(date(2026, 6, 30)) == "2026年6月30日"
    )
    assert zh.datetime(datetime(2026, 6, 30, 9, 5)) == "2026年6月30日 09:05 UTC"
    assert en.value(None) == "–" and en.value(0.25, "ratio") == "25.0%"


def test_language_choice():
    assert set(LANGUAGES) == {"en", "zh"}
    assert pick_language(None, "zh") == "zh"
    assert pick_language("fr", accept="zh-CN,zh;q=0.9,en;q=0.8") == "zh"
    assert pick_language(None, accept="de-DE") == "en"
