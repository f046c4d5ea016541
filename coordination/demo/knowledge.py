"""The demo city's call-taker (``operator``) and its knowledge base: answers Qinghe's
organisations hold, written by their staff and published by the dispatch centre, each with
its history (written, submitted, published)."""

from __future__ import annotations

from typing import NamedTuple

from django.contrib.auth.models import Group
from django.utils.translation import gettext as _

from agencies.models import Agency
from coordination.knowledge.models import Article
from coordination.knowledge.services import article_publish, article_save, article_submit
from coordination.rules.models import Responsibility
from issues.models import OPERATORS_GROUP, Category

from .users import Login, _Passwords, _user


class ArticleSeed(NamedTuple):
    organisation: str
    category: str | None
    question: str
    answer: str
    audience: str = Article.Audience.PUBLIC


ARTICLES: tuple[ArticleSeed, ...] = (
    ArticleSeed(
        "power",
        "power-cut",
        "家里突然停电了怎么办？",
        "先看家中总闸是否跳闸；若整栋楼停电，请拨打国网清河供电公司24小时抢修电话95598，"
        "计划停电会提前一天在小区公告栏公布。",
    ),
    ArticleSeed(
        "water",
        "water-cut",
        "小区停水了什么时候恢复供水？",
        "计划停水提前24小时在小区公告；管道抢修一般8小时内恢复。清河区水务局热线：0316-1234567。",
    ),
    ArticleSeed(
        "power",
        "heating",
        "冬天暖气不热找谁？",
        "供暖期为11月15日至次年3月15日，室温低于18℃可向供热公司报修，供热公司须在24小时内上门测温。",
    ),
    ArticleSeed(
        "urban",
        "street-light",
        "路灯不亮了怎么报修？",
        "请说明路名和最近的门牌号或电线杆编号，城市管理局照明所一般在3个工作日内修复。",
    ),
    ArticleSeed(
        "urban",
        "garbage-collection",
        "生活垃圾分哪几类？大件家具怎么扔？",
        "清河市生活垃圾分为可回收物、有害垃圾、厨余垃圾和其他垃圾四类。"
        "大件家具请提前一天向社区预约，每周六统一清运，不得堆放在楼道。",
    ),
    ArticleSeed(
        "env",
        "construction-noise-night",
        "夜间施工噪音太大怎么办？",
        "22时至次日6时禁止产生噪声的建筑施工，经批准的连续作业须公示许可。"
        "无许可夜间施工可拨打12345或向生态环境局举报，执法人员到场核查。",
    ),
    ArticleSeed(
        "street-west",
        "neighbourhood-noise",
        "广场舞音响声音太大怎么办？",
        "社区居委会会与活动队伍协商音量和时间（一般不晚于21时）；协商无果的，可由公安机关依法处理。",
    ),
    ArticleSeed(
        "transport",
        "bus-service",
        "公交线路调整在哪里查？",
        "线路调整提前7天在站牌和“清河公交”微信公众号公布，也可拨打公交服务热线0316-96166。",
    ),
    ArticleSeed(
        "police",
        "illegal-parking",
        "小区门口有人乱停车堵住出入口",
        "占用消防通道或堵塞道路的违停，可拨打122或12345，交警到场处理；小区内部道路由物业管理。",
    ),
    ArticleSeed(
        "hrss",
        "unpaid-wages",
        "公司拖欠工资怎么办？",
        "可带劳动合同、工资条等证据向区人社局劳动保障监察大队投诉，或在一年内申请劳动仲裁，仲裁不收费。",
    ),
    ArticleSeed(
        "hrss",
        "social-insurance",
        "社保卡丢了怎么挂失补办？",
        "拨打12333或在“清河人社”小程序先挂失，再带身份证到区社保服务大厅补卡，工本费20元。",
    ),
    ArticleSeed(
        "education",
        "school-enrolment",
        "孩子上小学什么时候报名？",
        "义务教育阶段入学每年5月1日至5月20日在区教育局网站登记，按户籍和房产所在学区录取。",
    ),
    ArticleSeed(
        "market",
        "food-safety",
        "在饭店吃坏肚子怎么投诉？",
        "请保留消费凭证和就医记录，拨打12315或12345投诉，市场监督管理局将到店检查并调解赔偿。",
    ),
    ArticleSeed(
        "market",
        "overcharging",
        "商家价格欺诈、不明码标价怎么办？",
        "商品和服务须明码标价。请保留小票或照片，拨打12315举报，查实的依法处罚并退还多收价款。",
    ),
    ArticleSeed(
        "housing",
        "lift-failure",
        "电梯坏了物业一直不修怎么办？",
        "电梯故障先向物业报修；超过48小时未修或多次困人的，可向市场监管局（特种设备）和住建局投诉。",
    ),
    ArticleSeed(
        "health",
        "pest-control",
        "小区老鼠蟑螂多，谁来消杀？",
        "公共区域的病媒生物防制由物业和社区负责，每季度统一消杀；可向社区居委会反映加密消杀。",
    ),
    ArticleSeed(
        "dispatch",
        None,
        "12345热线办理时限是多少？",
        "一般诉求1个工作日内派单，承办单位须在约定时限内办结并回复；紧急诉求2小时内响应。",
        Article.Audience.INTERNAL,
    ),
    ArticleSeed(
        "power",
        "power-cut",
        "What should I do in a power cut?",
        "Check whether your own breaker has tripped. If the whole building is dark, call "
        "the State Grid Qinghe repair line 95598 (24 hours); planned cuts are posted in "
        "the estate a day ahead.",
    ),
    ArticleSeed(
        "urban",
        "garbage-collection",
        "How do I sort my rubbish in Qinghe?",
        "Four bins: recyclables, hazardous waste, kitchen waste and other waste. Bulky "
        "furniture is collected on Saturdays: book it with your community the day before.",
    ),
    ArticleSeed(
        "hrss",
        "unpaid-wages",
        "My employer has not paid my wages. What can I do?",
        "Bring your contract and pay slips to the labour inspection team of the Human "
        "Resources and Social Security Bureau, or apply for labour arbitration within "
        "one year; arbitration is free.",
    ),
    ArticleSeed(
        "education",
        "school-enrolment",
        "When do I register my child for primary school?",
        "Registration for compulsory education runs from 1 to 20 May on the district "
        "education bureau's website; places follow the catchment of your residence.",
    ),
)


def seed_operator(*, password: str, reset: bool) -> tuple[Login, bool]:
    """``operator``: a call-taker of the hotline (the ``operators`` group), for /desk/."""
    user, created = _user("operator", passwords=_Passwords(password), reset=reset)
    group, _new = Group.objects.get_or_create(name=OPERATORS_GROUP)
    user.groups.add(group)
    return Login("operator", _("operator (接线员)"), _("the call desk, /desk/")), created


def seed_articles(
    agencies: dict[str, Agency], categories: dict[str, Category], *, reviewer, writers
) -> tuple[int, int]:
    """The demo articles, written by ``writers[code]`` (the organisation's staff) and published
    by ``reviewer`` (the dispatcher); an article already there (by its question) is kept."""
    created = 0
    known = set(Article.objects.values_list("question", flat=True))
    for seed in ARTICLES:
        if seed.question in known:
            continue
        writer = writers.get(seed.organisation, reviewer)
        article = article_save(
            actor=writer,
            question=seed.question,
            answer=seed.answer,
            organisation=agencies[seed.organisation],
            category=categories.get(seed.category) if seed.category else None,
            audience=seed.audience,
        )
        article_submit(article_id=article.pk, actor=writer)
        article_publish(article_id=article.pk, actor=reviewer)
        created += 1
    return len(ARTICLES), created


# Each organisation's responsibility list (职责清单): category codes and the legal basis.
RESPONSIBILITIES: dict[str, tuple[tuple[str, str], ...]] = {
    "urban": (
        ("street-light", "《城市照明管理规定》"),
        ("garbage-collection", "《城市市容和环境卫生管理条例》"),
        ("street-vending", "《城市市容和环境卫生管理条例》"),
    ),
    "env": (
        ("construction-noise-night", "《噪声污染防治法》"),
        ("cooking-fumes", "《大气污染防治法》"),
    ),
    "transport": (("bus-service", "《城市公共交通条例》"), ("road-damage", "《公路法》")),
    "hrss": (
        ("unpaid-wages", "《保障农民工工资支付条例》"),
        ("social-insurance", "《社会保险法》"),
    ),
    "housing": (("property-dispute", "《物业管理条例》"), ("building-safety", "《建筑法》")),
    "market": (
        ("food-safety", "《食品安全法》"),
        ("overcharging", "《价格法》"),
        ("product-quality", "《产品质量法》"),
        ("lift-failure", "《特种设备安全法》"),
    ),
    "water": (("water-cut", "《城市供水条例》"),),
    "power": (("power-cut", "《电力供应与使用条例》"),),
    "education": (("school-enrolment", "《义务教育法》"), ("tutoring", "《教育法》")),
    "health": (
        ("medical-service", "《基本医疗卫生与健康促进法》"),
        ("pest-control", "《传染病防治法》"),
    ),
    "police": (("illegal-parking", "《道路交通安全法》"),),
}


def seed_responsibilities(
    agencies: dict[str, Agency], categories: dict[str, Category]
) -> tuple[int, int]:
    """The organisations' responsibility lists; rows already there are kept."""
    total = created = 0
    for code, items in RESPONSIBILITIES.items():
        for category, basis in items:
            _row, new = Responsibility.objects.get_or_create(
                agency=agencies[code],
                category=categories[category],
                defaults={"legal_basis": basis},
            )
            total += 1
            created += new
    return total, created
