"""Application database: migrations match the models, URLs, passwords, the role model."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from shopscope.appdb import default_appdb_url, open_appdb
from shopscope.appdb.database import normalise_url
from shopscope.appdb.models import Base
from shopscope.appdb.passwords import hash_password, needs_rehash, verify_password
from shopscope.errors import ConfigurationError, InvalidInputError, NotFoundError
from shopscope.team import role_model
from shopscope.team.roles import parse_role_model


def test_migrations_produce_exactly_the_models(tmp_path):
    db = open_appdb(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.close()
    assert diff == []


@pytest.mark.parametrize(
    ("warehouse", "expected"),
    [
        ("duckdb:///data/shop/warehouse.duckdb", "sqlite:///data/shop/app.sqlite3"),
        ("duckdb:////abs/wh.duckdb", "sqlite:////abs/app.sqlite3"),
        ("duckdb://:memory:", "sqlite:///shopscope-data/app.sqlite3"),
        ("spark:///lake", "sqlite:///shopscope-data/app.sqlite3"),
        (None, "sqlite:///shopscope-data/app.sqlite3"),
    ],
)
def test_default_appdb_sits_next_to_the_warehouse(warehouse, expected):
    assert default_appdb_url(warehouse) == expected


def test_urls():
    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x") == "sqlite:///x"
    with pytest.raises(ConfigurationError, match="not supported"):
        open_appdb("mysql://u@h/db")
    with pytest.raises(ConfigurationError, match="cannot be parsed"):
        open_appdb("not a url")


def test_password_hashes():
    h = hash_password("correct horse battery")
    assert h.startswith("$argon2id$") and "m=19456,t=2,p=1" in h
    assert verify_password(h, "correct horse battery")
    assert not verify_password(h, "correct horse batterz")
    assert not verify_password(None, "correct horse battery")
    assert not verify_password("garbage", "correct horse battery")
    assert not needs_rehash(h)
    assert needs_rehash("$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo")
    with pytest.raises(InvalidInputError, match="at least 10"):
        hash_password("short")


def test_role_model_tiers_and_permissions():
    m = role_model()
    assert {r.tier for r in m.roles.values()} == {"execution", "tactical", "strategic"}
    assert len(m.roles) == 12 and all(r.name_zh and r.description_zh for r in m.roles.values())
    director, analyst, agent = (
        m.grants(k) for k in ("operations_director", "data_ops_analyst", "cs_agent")
    )
    assert set(m.permissions) == director  # the strategic tier holds everything
    assert agent < analyst < director  # higher tiers can do what lower tiers can
    for key, role in m.roles.items():
        for p in m.grants(key):
            perm = m.permissions[p]
            assert m.tiers[perm.tier].rank <= m.tiers[role.tier].rank
    # dimensions: traffic ops (acquisition) do not read retention; user ops do
    assert "retention.read" not in m.grants("traffic_ops")
    assert "retention.read" in m.grants("user_ops")
    assert [r for r in m.roles.values() if r.hybrid] == [
        m.roles["data_ops_analyst"],
        m.roles["growth_hacker"],
        m.roles["private_domain_architect"],
    ]
    assert m.workspace("user_ops") == "tactical/retention"  # its own landing page
    assert m.workspace("traffic_ops") == "tactical" and m.workspace("cs_agent") == "execution"
    with pytest.raises(NotFoundError, match="Unknown role"):
        m.role("boss")


def test_role_model_rejects_inconsistent_data():
    tier = {"rank": 1, "workspace": "execution", "name_en": "E", "name_zh": "执",
            "description_en": "", "description_zh": ""}  # fmt: skip
    base = {
        "tiers": {"execution": tier},
        "dimensions": {},
        "permissions": {"a.read": {"tier": "tactical", "en": "", "zh": ""}},
        "roles": {},
    }  # fmt: skip
    with pytest.raises(ConfigurationError, match="unknown tier"):
        parse_role_model(base)
