"""Sorting and searching names the way each language's readers expect: English by letters,
Chinese by pinyin (路灯 sorts under L, and is found by typing "ludeng" or "ld")."""

from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin


@lru_cache(maxsize=4096)
def pinyin(text: str) -> str:
    """``路灯损坏`` → ``ludengsunhuai``; other characters are kept as they are, lower case."""
    return "".join(lazy_pinyin(text, errors="default")).lower()


@lru_cache(maxsize=4096)
def pinyin_initials(text: str) -> str:
    """``路灯损坏`` → ``ldsh``."""
    return "".join(lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")).lower()


def sort_key(name: str, language: str) -> tuple[str, str]:
    """A key that sorts ``name`` as readers of ``language`` expect."""
    if language.startswith("zh"):
        return (pinyin(name), name)
    return (name.casefold(), name)


def search_text(*names: str) -> str:
    """What a searchable list matches a typed query against: the names, their pinyin and its
    initials, so that "ludeng", "ld" and "路灯" all find 路灯损坏."""
    words: list[str] = []
    for name in names:
        if not name:
            continue
        words.append(name)
        if not name.isascii():
            words += [pinyin(name), pinyin_initials(name)]
    return " ".join(dict.fromkeys(words))
