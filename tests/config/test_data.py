"""The taxonomy and jurisdiction files load, and bad ones stop startup with a clear error."""
import tomllib
from importlib import resources

import pytest

from config.data import AGENCIES, ConfigError, load_jurisdiction, load_taxonomy, parse_jurisdiction, parse_taxonomy


def _raw(name: str) -> dict:
    return tomllib.loads(resources.files("config").joinpath(name).read_text(encoding="utf-8"))


def test_taxonomy_has_32_categories_in_6_areas_with_seed_text():
    taxonomy = load_taxonomy()
    assert [a.code for a in taxonomy.areas] == list("ABCDEF")
    assert [c.id for c in taxonomy.categories] == list(range(1, 33))
    assert [len(taxonomy.in_area(code)) for code in "ABCDEF"] == [5, 6, 5, 5, 6, 5]
    # The seed's full wording, not the short title (spot checks against seed 000).
    assert "种植牙" in taxonomy.category(7).text
    assert taxonomy.category(24).text.startswith("利用各种途径和方式，违规购买药品")
    assert taxonomy.category(17).lead == "医保局" and taxonomy.category(17).co == ("公安局", "卫健委")
    assert taxonomy.category(28).co == ()
    assert taxonomy.category(27).co == ("税务局", "公安局")


def test_default_jurisdiction_is_changjiang_with_published_channels():
    j = load_jurisdiction()
    assert j.phone.number == "0798-8335305" and j.phone.office == "区卫健委医政医管股"
    assert j.email == "cjqwjw@163.com"
    account = j.integrity_account
    assert (account.holder, account.bank, account.number, account.remark) == (
        "景德镇市财政局", "中国农业银行", "14-323101040000305", "医药整治")
    assert {a.key for a in j.agencies} == set(AGENCIES)


def test_a_second_jurisdiction_loads_and_differs():
    other = load_jurisdiction("example")
    assert other.name != load_jurisdiction().name
    assert other.postal_address


def test_portal_shows_the_configured_jurisdiction(make_portal):
    page = make_portal(jurisdiction="example").test_client().get("/").get_data(as_text=True)
    assert "青山县" in page and "0000-1234567" in page and "0798-8335305" not in page


def test_unknown_agency_is_refused_with_its_place():
    raw = _raw("jurisdictions/changjiang.toml")
    raw["agencies"][0]["key"] = "卫生局"
    with pytest.raises(ConfigError, match=r"agencies\[0\].*卫生局"):
        parse_jurisdiction("changjiang", raw)


def test_missing_integrity_account_field_is_refused():
    raw = _raw("jurisdictions/changjiang.toml")
    del raw["integrity_account"]["number"]
    with pytest.raises(ConfigError, match="number"):
        parse_jurisdiction("changjiang", raw)


def test_taxonomy_with_a_bad_lead_or_gap_is_refused():
    raw = _raw("taxonomy.toml")
    raw["categories"][5]["lead"] = "教育局"
    with pytest.raises(ConfigError, match="category 6.*教育局"):
        parse_taxonomy(raw)
    raw = _raw("taxonomy.toml")
    del raw["categories"][10]
    with pytest.raises(ConfigError, match="ids must run"):
        parse_taxonomy(raw)


def test_unknown_jurisdiction_name_is_a_config_error():
    with pytest.raises(ConfigError, match="not found"):
        load_jurisdiction("atlantis")
    with pytest.raises(ConfigError, match="invalid"):
        load_jurisdiction("../etc/passwd")
