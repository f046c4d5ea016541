"""Names kept in both of the platform's languages."""

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class BilingualName(models.Model):
    """An abstract model with a Chinese and an English name; ``name`` picks the active one.

    Organisations, areas and categories are named by the city in Chinese; the English name
    is for English-language pages and may be left empty, in which case the Chinese is shown.
    """

    name_zh = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = get_language() or "zh-hans"
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh
