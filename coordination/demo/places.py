"""The demo city's areas and organisations."""

from __future__ import annotations

from typing import NamedTuple

from agencies.geometry import rectangle
from agencies.models import Agency, Area
from agencies.services import agency_group

from .common import upsert


class AreaSeed(NamedTuple):
    code: str
    level: str
    parent: str | None
    name_zh: str
    name_en: str
    bbox: tuple[float, float, float, float]  # west, south, east, north


# The district is a box of 0.20° by 0.15°. Hexi takes its western strip; Beiyuan and Hedong
# share the rest, north and south of 39.93° N. Each street is cut in two communities, so the
# areas of one level tile their parent without gaps or overlaps.
# fmt: off
AREAS: tuple[AreaSeed, ...] = (
    AreaSeed("qinghe", "district", None, "清河区", "Qinghe District",
             (116.30, 39.85, 116.50, 40.00)),
    AreaSeed("hexi", "street", "qinghe", "河西街道", "Hexi Subdistrict",
             (116.30, 39.85, 116.38, 40.00)),
    AreaSeed("beiyuan", "street", "qinghe", "北苑街道", "Beiyuan Subdistrict",
             (116.38, 39.93, 116.50, 40.00)),
    AreaSeed("hedong", "street", "qinghe", "河东街道", "Hedong Subdistrict",
             (116.38, 39.85, 116.50, 39.93)),
    AreaSeed("liuyin", "community", "hexi", "柳荫社区", "Liuyin Community",
             (116.30, 39.85, 116.38, 39.925)),
    AreaSeed("hetang", "community", "hexi", "荷塘社区", "Hetang Community",
             (116.30, 39.925, 116.38, 40.00)),
    AreaSeed("songlin", "community", "beiyuan", "松林社区", "Songlin Community",
             (116.38, 39.93, 116.44, 40.00)),
    AreaSeed("fengqiao", "community", "beiyuan", "枫桥社区", "Fengqiao Community",
             (116.44, 39.93, 116.50, 40.00)),
    AreaSeed("binhe", "community", "hedong", "滨河社区", "Binhe Community",
             (116.38, 39.85, 116.44, 39.93)),
    AreaSeed("xinqiao", "community", "hedong", "新桥社区", "Xinqiao Community",
             (116.44, 39.85, 116.50, 39.93)),
)
# fmt: on


class AgencySeed(NamedTuple):
    code: str
    kind: str
    name_zh: str
    name_en: str
    area: str | None = "qinghe"
    parent: str | None = None


K = Agency.Kind

# Parents come before their children: a row may name an agency above it as its parent.
# fmt: off
AGENCIES: tuple[AgencySeed, ...] = (
    AgencySeed("dispatch", K.DISPATCH_CENTRE, "12345市民服务热线派单中心",
               "12345 Citizen Service Hotline Dispatch Centre"),
    # Government departments of the district.
    AgencySeed("housing", K.GOVERNMENT_DEPARTMENT, "清河区住房和城乡建设局",
               "Qinghe Housing and Urban-Rural Development Bureau"),
    AgencySeed("urban", K.GOVERNMENT_DEPARTMENT, "清河区城市管理局",
               "Qinghe City Management Bureau"),
    AgencySeed("env", K.GOVERNMENT_DEPARTMENT, "清河区生态环境局",
               "Qinghe Ecology and Environment Bureau"),
    AgencySeed("transport", K.GOVERNMENT_DEPARTMENT, "清河区交通运输局",
               "Qinghe Transport Bureau"),
    AgencySeed("hrss", K.GOVERNMENT_DEPARTMENT, "清河区人力资源和社会保障局",
               "Qinghe Human Resources and Social Security Bureau"),
    AgencySeed("market", K.GOVERNMENT_DEPARTMENT, "清河区市场监督管理局",
               "Qinghe Market Regulation Administration"),
    AgencySeed("health", K.GOVERNMENT_DEPARTMENT, "清河区卫生健康委员会",
               "Qinghe Health Commission"),
    AgencySeed("education", K.GOVERNMENT_DEPARTMENT, "清河区教育局",
               "Qinghe Education Bureau"),
    AgencySeed("water", K.GOVERNMENT_DEPARTMENT, "清河区水务局",
               "Qinghe Water Authority"),
    AgencySeed("police", K.GOVERNMENT_DEPARTMENT, "清河区公安分局",
               "Qinghe Public Security Bureau"),
    # Street offices answer for their street (属地), communities for theirs.
    AgencySeed("street-west", K.STREET_OFFICE, "河西街道办事处",
               "Hexi Subdistrict Office", area="hexi"),
    AgencySeed("street-north", K.STREET_OFFICE, "北苑街道办事处",
               "Beiyuan Subdistrict Office", area="beiyuan"),
    AgencySeed("street-east", K.STREET_OFFICE, "河东街道办事处",
               "Hedong Subdistrict Office", area="hedong"),
    AgencySeed("community-liuyin", K.COMMUNITY, "柳荫社区居民委员会",
               "Liuyin Community Residents' Committee", area="liuyin", parent="street-west"),
    AgencySeed("community-hetang", K.COMMUNITY, "荷塘社区居民委员会",
               "Hetang Community Residents' Committee", area="hetang", parent="street-west"),
    AgencySeed("community-songlin", K.COMMUNITY, "松林社区居民委员会",
               "Songlin Community Residents' Committee", area="songlin", parent="street-north"),
    AgencySeed("community-fengqiao", K.COMMUNITY, "枫桥社区居民委员会",
               "Fengqiao Community Residents' Committee", area="fengqiao", parent="street-north"),
    AgencySeed("community-binhe", K.COMMUNITY, "滨河社区居民委员会",
               "Binhe Community Residents' Committee", area="binhe", parent="street-east"),
    AgencySeed("community-xinqiao", K.COMMUNITY, "新桥社区居民委员会",
               "Xinqiao Community Residents' Committee", area="xinqiao", parent="street-east"),
    # Bodies outside government that the dispatcher brings in (external coordination).
    AgencySeed("party", K.PARTY_ORGANISATION, "中共清河区委党建工作办公室",
               "Party Building Office, CPC Qinghe District Committee"),
    AgencySeed("youth-league", K.MASS_ORGANISATION, "共青团清河区委",
               "Communist Youth League Qinghe District Committee"),
    AgencySeed("womens-federation", K.MASS_ORGANISATION, "清河区妇女联合会",
               "Qinghe District Women's Federation"),
    AgencySeed("trade-union", K.MASS_ORGANISATION, "清河区总工会",
               "Qinghe District Federation of Trade Unions"),
    AgencySeed("power", K.ENTERPRISE_PARTNER, "国网清河供电公司",
               "State Grid Qinghe Power Supply Company"),
    # The property company manages the housing estates of Hedong.
    AgencySeed("property", K.ENTERPRISE_PARTNER, "清河物业管理有限公司",
               "Qinghe Property Management Co., Ltd.", area="hedong"),
)
# fmt: on


def seed_areas() -> tuple[dict[str, Area], int]:
    areas: dict[str, Area] = {}
    created = 0
    for seed in AREAS:
        area, new = upsert(
            Area,
            lookup={"code": seed.code},
            values={
                "level": seed.level,
                "parent": areas[seed.parent] if seed.parent else None,
                "name_zh": seed.name_zh,
                "name_en": seed.name_en,
                "geometry": rectangle(*seed.bbox),
            },
        )
        areas[seed.code] = area
        created += new
    return areas, created


def seed_agencies(areas: dict[str, Area]) -> tuple[dict[str, Agency], int]:
    """Every organisation, each with its permission group."""
    agencies: dict[str, Agency] = {}
    created = 0
    for seed in AGENCIES:
        agency, new = upsert(
            Agency,
            lookup={"code": seed.code},
            values={
                "kind": seed.kind,
                "name_zh": seed.name_zh,
                "name_en": seed.name_en,
                "area": areas[seed.area] if seed.area else None,
                "parent": agencies[seed.parent] if seed.parent else None,
                "active": True,
            },
        )
        agency_group(agency=agency)
        agencies[seed.code] = agency
        created += new
    return agencies, created
