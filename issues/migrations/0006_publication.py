"""The publication policy (issues.publication): private categories, the resident's choice to
keep a report private, the staff's public summary, published timeline notes; Open311's
``media_url`` and ``changeset`` (when categories and their questions last changed).

Every field is added with a default, so the migration reverses by removing them.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("issues", "0005_contactaccess"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="private",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Issues in this category (and the categories under it) are never published."
                ),
                verbose_name="private",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="categoryquestion",
            name="updated_at",
            field=models.DateTimeField(auto_now=True, default=django.utils.timezone.now),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="issue",
            name="keep_private",
            field=models.BooleanField(
                default=False, verbose_name="keep my report off public pages"
            ),
        ),
        migrations.AddField(
            model_name="issue",
            name="public_summary",
            field=models.TextField(blank=True, max_length=1000, verbose_name="public summary"),
        ),
        migrations.AddField(
            model_name="issue",
            name="media_url",
            field=models.URLField(blank=True, max_length=1000, verbose_name="media link"),
        ),
        migrations.AddField(
            model_name="update",
            name="published",
            field=models.BooleanField(default=False, verbose_name="published"),
        ),
    ]
