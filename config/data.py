"""Load and validate the jurisdiction and the taxonomy (data files in this package).

Both are read once per process and checked at startup: a typo in a data file must stop the
program with a message that names the file and the field, never surface as a wrong route later.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

AGENCIES = ("卫健委", "医保局", "市场监管局", "公安局", "审计局", "税务局", "纪委监委")
AREA_CODES = ("A", "B", "C", "D", "E", "F")
CATEGORY_COUNT = 32


class ConfigError(Exception):
    """A data file in config/ is missing or invalid."""


@dataclass(frozen=True)
class Agency:
    key: str
    name: str
    liaison_office: str


@dataclass(frozen=True)
class PhoneChannel:
    number: str
    office: str


@dataclass(frozen=True)
class IntegrityAccount:
    holder: str
    bank: str
    number: str
    remark: str


@dataclass(frozen=True)
class SiteRecord:
    """What Chinese government sites show at the foot of every page, each shown only when the
    jurisdiction file gives it: the sponsor (主办单位), the ICP filing (ICP备案), the public
    security filing (公安备案), the site identifier (网站标识码), and links to the rules the
    promises rest on (检举控告 rules, 医保举报奖励办法)."""

    sponsor: str = ""
    icp: str = ""
    police_record: str = ""
    site_code: str = ""
    rules: tuple[tuple[str, str], ...] = ()  # (title, https URL)


@dataclass(frozen=True)
class Jurisdiction:
    key: str
    name: str
    full_name: str
    short_name: str
    office: str
    host_agency: str
    agencies: tuple[Agency, ...]
    phone: PhoneChannel
    email: str
    postal_address: str
    integrity_account: IntegrityAccount
    site: SiteRecord = SiteRecord()

    def agency(self, key: str) -> Agency:
        """The agency with this short name."""
        for agency in self.agencies:
            if agency.key == key:
                return agency
        raise KeyError(key)


@dataclass(frozen=True)
class Area:
    code: str
    title: str
    seed_title: str
    plain: str
    examples: tuple[str, ...]


@dataclass(frozen=True)
class Category:
    id: int
    area: str
    title: str
    text: str
    lead: str
    co: tuple[str, ...]


@dataclass(frozen=True)
class Taxonomy:
    areas: tuple[Area, ...]
    categories: tuple[Category, ...]

    def category(self, category_id: int) -> Category:
        """The category with this id (1–32)."""
        return self.categories[category_id - 1]

    def area(self, code: str) -> Area:
        """The area with this code (A–F)."""
        return self.areas[AREA_CODES.index(code)]

    def in_area(self, code: str) -> list[Category]:
        """The categories of one area, in seed order."""
        return [c for c in self.categories if c.area == code]


def read_toml(name: str, override_dir: Path | None) -> dict:
    """A TOML file of this package (or of `override_dir`), with errors as ConfigError."""
    try:
        if override_dir is not None:
            return tomllib.loads((override_dir / name).read_text(encoding="utf-8"))
        return tomllib.loads(resources.files("config").joinpath(name).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {name} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {name}: {exc}") from exc


def _require(data: dict, key: str, where: str, kind: type = str) -> object:
    value = data.get(key)
    if not isinstance(value, kind) or (kind is str and not value.strip() and key != "postal_address"):
        raise ConfigError(f"{where}: field '{key}' must be a non-empty {kind.__name__}")
    return value


def parse_jurisdiction(key: str, data: dict) -> Jurisdiction:
    """Build and validate a Jurisdiction from a parsed TOML document."""
    where = f"jurisdictions/{key}.toml"
    agencies = []
    for i, raw in enumerate(data.get("agencies") or []):
        at = f"{where} agencies[{i}]"
        agency = Agency(*(_require(raw, f, at) for f in ("key", "name", "liaison_office")))
        if agency.key not in AGENCIES:
            raise ConfigError(f"{at}: unknown agency '{agency.key}' (one of {', '.join(AGENCIES)})")
        agencies.append(agency)
    missing = set(AGENCIES) - {a.key for a in agencies}
    if missing:
        raise ConfigError(f"{where}: agencies missing: {', '.join(sorted(missing))}")
    channels = data.get("channels") or {}
    phone = channels.get("phone") or {}
    account = data.get("integrity_account") or {}
    host = _require(data, "host_agency", where)
    if host not in AGENCIES:
        raise ConfigError(f"{where}: host_agency '{host}' is not an agency")
    return Jurisdiction(
        key=key,
        name=_require(data, "name", where),
        full_name=_require(data, "full_name", where),
        short_name=_require(data, "short_name", where),
        office=_require(data, "office", where),
        host_agency=host,
        agencies=tuple(agencies),
        phone=PhoneChannel(*(_require(phone, f, f"{where} [channels.phone]") for f in ("number", "office"))),
        email=_require(channels, "email", f"{where} [channels]"),
        postal_address=str(channels.get("postal_address") or ""),
        integrity_account=IntegrityAccount(
            *(_require(account, f, f"{where} [integrity_account]") for f in ("holder", "bank", "number", "remark"))
        ),
        site=_site(data.get("site") or {}, f"{where} [site]"),
    )


def _site(raw: dict, where: str) -> SiteRecord:
    rules = []
    for i, rule in enumerate(raw.get("rules") or []):
        title, url = _require(rule, "title", f"{where} rules[{i}]"), _require(rule, "url", f"{where} rules[{i}]")
        if not url.startswith("https://"):
            raise ConfigError(f"{where} rules[{i}]: url must start with https:// ({url})")
        rules.append((title, url))
    return SiteRecord(sponsor=str(raw.get("sponsor") or ""), icp=str(raw.get("icp") or ""),
                      police_record=str(raw.get("police_record") or ""),
                      site_code=str(raw.get("site_code") or ""), rules=tuple(rules))


def parse_taxonomy(data: dict) -> Taxonomy:
    """Build and validate the taxonomy: 6 areas, categories 1–32 in order, known agencies."""
    areas = tuple(
        Area(
            code=_require(a, "code", "taxonomy.toml areas"),
            title=_require(a, "title", "taxonomy.toml areas"),
            seed_title=_require(a, "seed_title", "taxonomy.toml areas"),
            plain=_require(a, "plain", "taxonomy.toml areas"),
            examples=tuple(_require(a, "examples", "taxonomy.toml areas", list)),
        )
        for a in data.get("areas") or []
    )
    if tuple(a.code for a in areas) != AREA_CODES:
        raise ConfigError(f"taxonomy.toml: areas must be {', '.join(AREA_CODES)} in order")
    categories = []
    for i, raw in enumerate(data.get("categories") or [], start=1):
        at = f"taxonomy.toml category {i}"
        if raw.get("id") != i:
            raise ConfigError(f"{at}: ids must run 1..{CATEGORY_COUNT} in order, found {raw.get('id')}")
        lead = _require(raw, "lead", at)
        co = tuple(_require(raw, "co", at, list))
        for agency in (lead, *co):
            if agency not in AGENCIES:
                raise ConfigError(f"{at}: unknown agency '{agency}'")
        if raw.get("area") not in AREA_CODES:
            raise ConfigError(f"{at}: unknown area '{raw.get('area')}'")
        categories.append(
            Category(i, raw["area"], _require(raw, "title", at), _require(raw, "text", at), lead, co)
        )
    if len(categories) != CATEGORY_COUNT:
        raise ConfigError(f"taxonomy.toml: {CATEGORY_COUNT} categories expected, found {len(categories)}")
    return Taxonomy(areas, tuple(categories))


@lru_cache(maxsize=8)
def load_jurisdiction(key: str = "changjiang", config_dir: Path | None = None) -> Jurisdiction:
    """The jurisdiction `key` from config/jurisdictions/ (or from `config_dir`)."""
    if not key.replace("_", "").replace("-", "").isalnum():
        raise ConfigError(f"invalid jurisdiction name '{key}'")
    return parse_jurisdiction(key, read_toml(f"jurisdictions/{key}.toml", config_dir))


@lru_cache(maxsize=2)
def load_taxonomy(config_dir: Path | None = None) -> Taxonomy:
    """The 32 categories in 6 areas (config/taxonomy.toml)."""
    return parse_taxonomy(read_toml("taxonomy.toml", config_dir))
