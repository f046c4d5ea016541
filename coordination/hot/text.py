"""What the hot-issue engine reads in a complaint: words, terms, places.

- ``words``: jieba words (precise mode, HMM off, with this module's own
  ``jieba.Tokenizer``, so that nothing taught elsewhere in the process changes them) of
  two or more characters, less stop words; and the character bigrams of the runs of
  single characters jieba leaves of names it does not know (丽/发/新城 gives 丽发). The
  vocabulary of labels.
- ``terms``: the words and the bigrams of words of three or more characters, so that
  搅拌站 and 搅拌厂 (搅拌 + 厂) meet: what similarity compares.
- ``places``: named places written in the text (compounds, roads, villages, schools ...),
  found by their suffix (小区, 路, 村, 学校 ...; ``place_kind`` tells which kind) and the
  name before it, cut at the nearest district code (A3区), punctuation or function word
  (投诉, 附近, 的 ...), then at most ``MAX_NAME`` characters. Names that say nothing
  specific (道路, 该小区, 老旧小区) and common words that end like a place (政府, 跑路,
  城管) are dropped. A generic part that follows a name (丽发新城 + 社区) extends it.
- ``districts``: masked district and county codes (A3区, A7县, A9市); bare city codes (A市)
  and the province (西地省) name nearly every message and are left out.
- ``same_place``: two names are the same place when they are of one kind and the
  character bigrams of the shorter one's core (the name less a generic tail such as 小区,
  社区, 项目) are mostly (``PLACE_MATCH``) found in the longer one's; a core of two
  characters must be equal. 丽发新城 = 丽发新城小区 = 丽发新城社区; 魅力之城 = 万科魅力之城;
  劳动东路 ≠ 劳动西路; 泉塘中学 ≠ 泉塘小区.

Text is NFKC-normalised first (full-width ＡＢＣ１２ read as ABC12) and upper-cased for
the masked codes. Everything here is a pure function of its arguments; jieba is loaded
lazily and quietly on first use.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Any

__all__ = [
    "districts",
    "normalize",
    "place_key",
    "place_kind",
    "places",
    "same_place",
    "terms",
    "without_admin",
    "words",
]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
# Runs of text that words and names do not cross: punctuation and white space end them.
_RUNS = re.compile(f"[{_HAN}A-Z0-9]+")
_IS_HAN = re.compile(f"^[{_HAN}]+$")

# Masked administrative codes: A市, A3区, A7县, A9市, K9县, and the masked province.
_ADMIN = re.compile(r"[A-Z][0-9]{0,2}[市区县省]|西地省")
_DISTRICT = re.compile(r"[A-Z][0-9]{1,2}[区县市]")

# Words of a complaint's form and of any complaint (投诉, 反映, 严重 ...): they say how
# people write, not what about, and would make every label alike.
STOP_WORDS = frozenset(
    """的 了 在 是 我 有 和 就 不 人 都 一 上 也 很 到 说 要 去 你 会 着 看 好 这 那 他 她 它
    一个 没有 自己 我们 你们 他们 这个 那个 这些 那些 这里 那里 这样 什么 怎么 为什么 如何
    可以 已经 因为 所以 但是 如果 还是 或者 以及 而且 并且 就是 还有 现在 目前 一直 非常
    不是 进行 有关 相关 关于 请问 您好 你好 谢谢 感谢 希望 尊敬 领导 问题 情况 反映 要求
    投诉 举报 建议 咨询 请求 恳请 强烈 严重 是否 能否 何时 为何 怎么办 谁来 有人 无人 一下
    解决 处理 管理 部门 政府 相关 多少 哪里 居民 市民 群众 我家 业主 存在 影响 造成 导致
    问 请 为什么 合理 合法 不合理 能不能 可不可以 到底 急需 迟迟 长期 一些 之后 以后 今年
    去年 附近 旁边 周边 加快 力度 步伐 刻不容缓 具体 行动 有何 措施 尽快 什么时候 可否 一系列
    问问 请问 呼吁 强烈要求 恳请 盼望 期盼 反对 坚决 关注 再次 多次 依然 仍然 还是 为何
    号楼 单元 市 区 县 省""".split()  # noqa: SIM905
)

# Characters that are words of their own (的, 了, 把 ...): a run of single characters
# that jieba left of an unknown name ends at them, or 的丽 and 把它 would become terms.
_FUNCTION_CHARACTERS = frozenset(
    "的了是在我你他她它们把被就也都很太还又再才只这那有和与及或而但并之其个么吗呢吧啊呀"
    "给让对向从到为以于将要会能可不没说去来看每该此"
)
# A named place ends with a suffix that says what kind of place it is. Two names of
# different kinds are different places (泉塘中学 is not 泉塘小区); "area" names (街道, 镇,
# 乡, 社区) cover many sites.
_KIND = {
    suffix: kind
    for kind, suffixes in (
        ("home", "小区 花园 家园 新城 新村 公寓 大厦 公馆 华府 山庄 苑 园 城 湾 府 洲"),
        ("road", "路 街 巷 大道 桥"),
        ("school", "中学 小学 大学 学校 学院 幼儿园"),
        ("market", "市场 商城 广场"),
        ("hospital", "医院"),
        ("park", "公园"),
        ("village", "村"),
        ("area", "街道 镇 乡 社区"),
    )
    for suffix in suffixes.split()
}
# Longest first, so that 小区 wins over 区 and 街道 over 街.
_SUFFIX = re.compile("|".join(sorted(_KIND, key=len, reverse=True)))
# A suffix followed by one of these is part of a common word, not a place's end:
# 城管, 城市, 路灯, 路面, 村民, 园区 ...
_NOT_AN_END = {
    "城": "管市区乡镇际建中内外墙",
    "路": "灯面边段况线上由费过基桥牌名网",
    "村": "民委组级干部里庄集道",
    "镇": "政府长党",
    "乡": "村镇政下亲",
    "街": "道头边面坊",
    "园": "区林艺长",
    "桥": "梁下面",
    "湾": "区",
    "府": "门",
    "洲": "际",
    "花园": "式",
}
# A suffix after one of these is part of a common word too: 政府, 跑路, 走投无路, 修路.
_NOT_A_NAME_END = {
    "府": "政",
    "路": "跑修让退思套出走开上带引沿半迷问领无之活网销道马公铁线",
    "城": "进出回京省县全",
    "园": "校田家果菜乐花",
    "村": "农乡全本",
    "镇": "乡城本",
    "街": "上逛过大",
    "桥": "过天",
}
# Cut a name after the last of these (verbs and particles of a complaint, or words
# that place something *near* a place rather than name it).
_BOUNDARY = re.compile(
    "|".join(
        sorted(
            """投诉 反映 反应 举报 关于 建议 咨询 请问 希望 要求 请求 恳请 位于 坐落在 座落在
            地处 靠近 附近 旁边 对面 门口 周边 一带 楼下 楼上 隔壁 住在 居住 属于 所在 旁
            在 的 与 及 至 到 从 对 是 了 给 把 被 由 或 我 我们 本 该 此 这 那 个
            之间 还有 以及 整个 其他 所有 各个 每个 多个 部分 一些 原 前往 经过 通往 沿
            没有 导致 影响 严重 目前 然后 破坏 占用 发现 变成 收回 进入 查处 尽快 毕竟 大多数
            什么 不知道 知道 问问 任何 完全 停止 绕道 就要 直接 调整 明确 推动 形成 开展 进一步
            相信 配合 感谢 不知 已经 正在 还是 但是 而且 因为 所以 如果 虽然 可是 只有 就是
            我家 家住 小孩 孩子 业主 居民 住户 市民 村民 学生 家长 老人 开发商 物业 门前 后面
            前面 里面 外面 东边 西边 南边 北边 东侧 西侧 南侧 北侧 处 现 近期 近段时间 每天
            每晚 晚上 白天 凌晨 夜间 经常 一直 多次 再次 多年 今年 去年 打算 准备 计划 规划
            修建 建设 新建 开通 通过 穿过 连接 包括 例如 比如 特别 尤其 针对 解决 请 加快 推进
            整治 督促 取消 撤销 调查 清理 拆除""".split(),  # noqa: SIM905
            key=len,
            reverse=True,
        )
    )
)
# Names too general to tell one place from another: 水泥路, 老旧小区, 农村.
_GENERIC_NAMES = frozenset(
    """道 马 公 铁 线 小 大 水泥 柏油 沥青 老旧 新建 在建 城市 农村 乡村 城乡 县城 市区 城区
    安置 拆迁 回迁 商品房 住宅 高档 老 新 旧 周边 附近 全市 全县 全区 本地 当地 外地 一条
    这条 那条 主干 次干 支 马路 道路 公路 铁路 高速 国道 省道 乡道 村道 组 各 其他 周围
    幼儿 民办 公办 私立 公立 重点 普通 附属 配套 社区 街道 小区 村里 镇上 城里 乡下 家里
    公共 人民 中心 地铁 高铁 火车 汽车 停车 步行 商业 工业 产业 物流 科技 文化 体育
    休闲 生态 湿地 森林 主题 游乐 儿童 智慧 美丽 和谐 文明 卫生 示范 平安 绿色 特色
    上学 读书 出行 回家 进城 进村 十字 必经之 断头 快速 高架 立交 农贸 菜 公交线 城际铁
    高速公 交通公 居民 普惠性 小区配套 政府 市政 各级 地方 一 二 三 几 多 整 全 该 本
    开发 楼盘 房地产 学区 片区 附近小区 周边小区 城中 城郊 乡镇 村镇 市镇 集镇 街 巷
    大学 中学 小学 学校 医院 市场 广场 公园 花园 家园 新城 新村 公寓 大厦 城镇""".split()  # noqa: SIM905
)
# Generic tails of a place's name: left out when two names are compared.
_TAILS = re.compile("(小区|社区|项目|楼盘|片区|一期|二期|三期|四期|五期)+$")
MAX_NAME = 8  # characters of a name before its suffix
PLACE_MATCH = 0.6  # share of the shorter core's bigrams found in the longer one


def normalize(text: str | None) -> str:
    """NFKC and upper case: the form every function here reads."""
    return unicodedata.normalize("NFKC", text or "").upper()


def words(text: str) -> list[str]:
    """The words of ``text`` (already normalised), in order, repeats kept.

    Words are jieba words of two or more characters that are not stop words (Latin words
    and numbers included), and the character bigrams of runs of single Han characters:
    what jieba leaves of a name it does not know (丽/发/新城 gives 丽发 and 新城). Bigrams
    across word boundaries (关注A, 请书) would be rare, hence heavy, and mean nothing;
    this keeps them out.
    """
    out: list[str] = []
    cut = _get_tokenizer().cut
    for run in _RUNS.findall(text):
        single = ""  # the current run of single Han characters
        for word in cut(run, HMM=False):
            if len(word) == 1 and _IS_HAN.match(word) and word not in _FUNCTION_CHARACTERS:
                single += word
                continue
            if len(single) > 1:
                out.extend(_bigrams(single))
            single = ""
            if len(word) > 1 and word not in STOP_WORDS:
                out.append(word)
        if len(single) > 1:
            out.extend(_bigrams(single))
    return out


def _bigrams(single: str) -> list[str]:
    """The character bigrams of a run of single characters, less stop words (号楼 of 5号楼)."""
    pairs = (single[i : i + 2] for i in range(len(single) - 1))
    return [pair for pair in pairs if pair not in STOP_WORDS]


def terms(text_or_words: str | list[str]) -> Counter[str]:
    """The terms of a text (or of its ``words``) with their counts: the words, and the
    bigrams of words of three or more Han characters, so that 搅拌站 and 搅拌厂 (搅拌 + 厂)
    share 搅拌."""
    found = words(text_or_words) if isinstance(text_or_words, str) else text_or_words
    out = Counter(found)
    for word in found:
        if len(word) > 2 and _IS_HAN.match(word):
            out.update(
                bigram
                for bigram in (word[i : i + 2] for i in range(len(word) - 1))
                if bigram not in STOP_WORDS
            )
    return out


_lock = threading.Lock()
_tokenizer: Any = None


def _get_tokenizer() -> Any:
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba  # deferred: loading the dictionary takes about half a second

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def districts(text: str) -> list[str]:
    """Masked district and county codes in ``text`` (normalised), first seen first."""
    return list(dict.fromkeys(_DISTRICT.findall(text)))


def places(text: str, limit: int | None = None) -> list[str]:
    """Named places in ``text`` (normalised), first seen first, at most ``limit`` of them."""
    found: dict[str, None] = {}
    for run in _RUNS.findall(_ADMIN.sub(" ", text)):
        start = 0  # where the next name may begin: after the previous place
        last: str | None = None  # the previous place, if it ends where a tail may follow
        last_end = -1
        for match in _SUFFIX.finditer(run):
            suffix = match.group()
            s, e = match.span()
            following = run[e : e + 1]
            if following and following in _NOT_AN_END.get(suffix, ""):
                continue
            if run[s - 1 : s] in _NOT_A_NAME_END.get(suffix, ""):
                continue  # 政府, 跑路, 修路: a common word, not a place
            if s == last_end and last is not None and not _name_of(run[start:s]):
                # 丽发新城 + 社区: a tail that extends the place just found
                extended = last + suffix
                found.pop(last, None)
                found[extended] = None
                last, last_end, start = extended, e, e
                continue
            name = _name_of(run[max(start, s - MAX_NAME) : s])
            if name is None:
                continue
            place = name + suffix
            found[place] = None
            last, last_end, start = place, e, e
            if limit is not None and len(found) >= limit:
                return list(found)
    return list(found)


def _name_of(before: str) -> str | None:
    """The name in the characters before a suffix, or None when they name nothing."""
    cut = 0
    for match in _BOUNDARY.finditer(before):
        cut = match.end()
    name = before[cut:]
    if len(name) < 2 or name in _GENERIC_NAMES or name.isdigit():
        return None
    if not _HAS_TWO_HAN.search(name):
        return None  # "6栋" or "3号": a house number, not a name
    return name


_HAS_TWO_HAN = re.compile(f"[{_HAN}].*[{_HAN}]")


@lru_cache(maxsize=65536)
def place_key(place: str) -> tuple[str, frozenset[str]]:
    """A place's kind and the character bigrams of its core (the name less a generic tail)."""
    core = _TAILS.sub("", place) or place
    suffix = _SUFFIX_AT_END.search(core) or _SUFFIX_AT_END.search(place)
    kind = _KIND.get(suffix.group(), "other") if suffix else "other"
    if len(core) == 1:
        return kind, frozenset((core,))
    return kind, frozenset(core[i : i + 2] for i in range(len(core) - 1))


_SUFFIX_AT_END = re.compile(f"(?:{_SUFFIX.pattern})$")


def place_kind(place: str) -> str:
    """home, road, school, market, hospital, park, village, or area (街道, 镇, 乡, 社区)."""
    return place_key(place)[0]


def same_place(a: str, b: str) -> bool:
    """Whether two place names name the same place (see the module docstring)."""
    if a == b:
        return True
    (kind_a, ka), (kind_b, kb) = place_key(a), place_key(b)
    if kind_a != kind_b:
        return False
    small, large = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    if len(small) < 2:
        return ka == kb  # a core of two characters (丽发, 泉塘) is too short to be found in another
    return len(small & large) >= PLACE_MATCH * len(small)


def without_admin(text: str) -> str:
    """``text`` with its masked administrative codes (A市, A3区, 西地省) blanked out."""
    return _ADMIN.sub(" ", text)
