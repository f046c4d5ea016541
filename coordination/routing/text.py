"""Keywords of an issue's text: what ``keyword`` conditions are compared with.

Chinese is segmented with jieba (precise mode, HMM off: the HMM guesses new words, which
makes segmentation slower and less predictable, and the words rules care about are taught
explicitly through ``add_words``). Latin-script words are lowercased. Punctuation, digits,
one-letter Latin tokens and a small list of stop words are dropped.

Single Chinese characters are dropped too (的, 了, 路, 号 ... carry little meaning alone and
would make every rule keyword a near-miss), *unless* a rule taught that character with
``add_words``: a rule that asks for 水 or 电 then still matches when jieba cuts it out alone.

A taught word of two or more characters is also a keyword of every text that contains it,
whatever jieba makes of the text around it: jieba cuts 路灯不亮 into 路 / 灯不亮 even once
路灯 is taught, and a taught 施工 would otherwise hide inside a taught 夜间施工.

Text is NFKC-normalised first, so full-width ＡＢＣ and １２ read as ABC and 12.

jieba is loaded lazily and quietly on the first call that needs it, and this module keeps
its own ``jieba.Tokenizer``: the words rules teach do not change how the rest of the
process segments text. Taught words are process-wide and only ever added, so a keyword
set depends on the text and on the words taught so far; the compiler teaches every rule
keyword before the rule set is used.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from typing import Any

__all__ = ["STOP_WORDS", "add_words", "is_keyword", "keywords", "normalize_word"]

# Common function words and the formulae of a complaint (您好, 希望, 谢谢): present in
# almost every message, so they say nothing about where it should go. (Lists of words read
# better as one string each, hence the SIM905 exceptions.)
STOP_WORDS_ZH = frozenset(
    """的 了 在 是 我 有 和 就 不 人 都 一 上 也 很 到 说 要 去 你 会 着 看 好 这 那 他 她 它
    们 与 及 或 等 被 把 让 给 对 从 向 为 以 之 其 而 但 并 又 还 已 再 吗 呢 吧 啊
    一个 没有 自己 我们 你们 他们 她们 它们 这个 那个 这些 那些 这里 那里 这样 那样 什么
    怎么 怎样 为什么 如何 可以 已经 因为 所以 但是 如果 还是 或者 以及 而且 并且 就是 还有
    现在 目前 一直 非常 还要 不是 没有 进行 有关 相关 关于 请问 您好 你好 谢谢 感谢 希望
    尊敬 领导 问题 情况 反映 要求""".split()  # noqa: SIM905
)
STOP_WORDS_EN = frozenset(
    """the an of to and is are was were be been being in on at for with by from as it its
    this that these those or not no but if then than so we you he she they me my our your
    their there here have has had do does did will would can could should may might please
    am into out up down over about after before also just very""".split()  # noqa: SIM905
)
STOP_WORDS = STOP_WORDS_ZH | STOP_WORDS_EN

# Han ideographs: CJK Unified Ideographs, Extension A and the compatibility block.
_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_IS_HAN = re.compile(f"^[{_HAN}]+$")
_HAS_HAN = re.compile(f"[{_HAN}]")
# A Latin word: letters and digits with at least one letter (numbers alone are dates,
# house numbers and phone fragments, not topics).
_IS_LATIN = re.compile(r"^[a-z0-9]*[a-z][a-z0-9]*$")
# What jieba needs to see: runs of Han and of letters/digits; everything else separates.
_RUNS = re.compile(f"[{_HAN}a-z0-9]+")

_lock = threading.Lock()
_tokenizer: Any = None  # jieba.Tokenizer, created on first use
_taught: set[str] = set()  # every Han word taught by add_words, normalised
_taught_long: tuple[str, ...] = ()  # those of two or more characters, searched in texts
_pending: list[str] = []  # taught before the tokenizer existed


def normalize_word(word: str) -> str:
    """The form a word takes in ``keywords``: NFKC, lowercased, stripped."""
    return unicodedata.normalize("NFKC", word).strip().lower()


def is_keyword(word: str) -> bool:
    """Whether ``keywords`` can ever produce ``word`` (already normalised).

    A rule keyword that fails this can never match: a stop word, a single Latin letter,
    punctuation, a number, or a mix of Han and Latin (jieba cuts those apart).
    """
    if not word or word in STOP_WORDS:
        return False
    if _IS_HAN.match(word):
        return True  # single characters included: the compiler teaches them
    return len(word) > 1 and bool(_IS_LATIN.match(word))


def add_words(words: Iterable[str]) -> None:
    """Teach jieba words that rules use, so that 夜间施工 or 工地 segment as one word.

    Latin words need no teaching (they are split on non-letters). Cheap before jieba is
    loaded: the words wait and are added when the tokenizer is first built.
    """
    fresh = []
    for raw in words:
        word = normalize_word(raw)
        if word and _HAS_HAN.search(word) and word not in _taught:
            fresh.append(word)
    if not fresh:
        return
    global _taught_long
    with _lock:
        for word in fresh:
            if word in _taught:
                continue
            _taught.add(word)
            if _tokenizer is None:
                _pending.append(word)
            else:
                _tokenizer.add_word(word)
        _taught_long = tuple(
            sorted(w for w in _taught if len(w) > 1 and _IS_HAN.match(w) and w not in STOP_WORDS)
        )


def _get_tokenizer() -> Any:
    global _tokenizer
    if _tokenizer is not None:
        return _tokenizer
    with _lock:
        if _tokenizer is None:
            import jieba  # deferred: loading the dictionary takes about a second

            # jieba logs "Building prefix dict ..." at DEBUG on its own logger.
            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for word in _pending:
                tokenizer.add_word(word)
            _pending.clear()
            _tokenizer = tokenizer
    return _tokenizer


def keywords(text: str | None) -> frozenset[str]:
    """The keywords of ``text``: jieba words for Chinese, lowercased words for Latin script."""
    if not text:
        return frozenset()
    text = unicodedata.normalize("NFKC", text).lower()
    out: set[str] = set()
    cut = None
    for run in _RUNS.findall(text):
        if not _HAS_HAN.search(run):
            if len(run) > 1 and run not in STOP_WORDS and _IS_LATIN.match(run):
                out.add(run)
            continue
        if cut is None:
            cut = _get_tokenizer().cut
        # jieba keeps Latin letters and digits inside a run together, as one token.
        for word in cut(run, HMM=False):
            if word in STOP_WORDS:
                continue
            if _IS_HAN.match(word):
                if len(word) > 1 or word in _taught:
                    out.add(word)
            elif len(word) > 1 and _IS_LATIN.match(word):
                out.add(word)
    if cut is not None:  # the text has Han characters
        out.update(word for word in _taught_long if word in text)
    return frozenset(out)
