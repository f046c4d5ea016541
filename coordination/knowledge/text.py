"""Words of Chinese (and English) text for search: jieba's segmentation for search engines
(``cut_for_search`` gives a long word and its parts: 垃圾分类 → 垃圾, 分类, 垃圾分类), lower
case, without punctuation and the function words every question has (怎么, 吗, 的).

Pure: no Django. The same function segments articles when they are saved and the questions
people type, so both sides meet on the same tokens.
"""

from __future__ import annotations

import logging
import re

import jieba

jieba.setLogLevel(logging.WARNING)

# Words every question has, which tell no article from another.
STOPWORDS = frozenset(
    """
    的 了 吗 呢 吧 啊 呀 么 是 在 有 和 与 及 或 我 你 他 她 它 我们 你们 他们
    这 那 这个 那个 哪 哪里 哪儿 什么 怎么 怎么办 怎样 如何 为什么 为何
    能 能否 可以 可不可以 要 需要 想 请问 请 一下 一个 都 也 就 还 又 被 把
    给 对 从 到 向 吗？ 呢？ 多少 几 谁 啥 该 应该 是否
    a an the of to in on for and or is are be can do does how what where when who why my
    i you we it with at by from
    """.split()  # noqa: SIM905 (a list of words is easier read as text)
)
_WORD = re.compile(r"\w", re.UNICODE)
_NOT_WORD = re.compile(r"[^\w]+", re.UNICODE)


def tokens(text: str) -> list[str]:
    """The searchable words of ``text``, in order, repeated as often as they occur."""
    found = []
    for piece in jieba.cut_for_search(text.lower()):
        word = _NOT_WORD.sub("", piece)
        if word and _WORD.search(word) and word not in STOPWORDS:
            found.append(word)
    return found


def query_tokens(text: str) -> list[str]:
    """The distinct words of a query, in order (a word typed twice counts once)."""
    return list(dict.fromkeys(tokens(text)))
