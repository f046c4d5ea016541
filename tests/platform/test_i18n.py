"""Every page string exists in Chinese and English, and the compiled catalogue is current."""

from pathlib import Path

import polib
import pytest
from django.test import Client

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_has_a_chinese_translation_that_is_not_fuzzy():
    catalogue = polib.pofile(str(LOCALE / "django.po"))
    untranslated = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_matches_the_source():
    """Catch a .po edited without `make messages`: the .mo must carry the same translations."""
    # Keyed by context too: one English word may need two Chinese ones (pgettext).
    source = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural.get(0)
        for entry in polib.pofile(str(LOCALE / "django.po")).translated_entries()
    }
    compiled = {
        (entry.msgctxt, entry.msgid): entry.msgstr or entry.msgstr_plural.get(0)
        for entry in polib.mofile(str(LOCALE / "django.mo"))
        if entry.msgid
    }
    assert compiled == source


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [("zh-hans", "我要反映", "Report a problem"), ("en", "Report a problem", "我要反映")],
)
def test_home_page_speaks_the_chosen_language(language, expected, absent):
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    body = client.get("/").content.decode()
    assert f'<html lang="{language}">' in body
    assert expected in body
    assert absent not in body
