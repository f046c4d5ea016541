"""ContactAccess, moved here from the coordination app: the table keeps its name."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("coordination", "0007_rooms"),
        ('issues', '0004_issue_language'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables exist already (made by coordination's migrations): only the state moves.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='ContactAccess',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('level', models.CharField(choices=[('full', 'Full contact'), ('masked', 'Masked phone')], max_length=16)),
                        ('via', models.CharField(max_length=16)),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('issue', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='issues.issue')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'contact access',
                        'verbose_name_plural': 'contact accesses',
                        'db_table': 'coordination_contactaccess',
                        'ordering': ['-at', '-id'],
                    },
                ),
    ]
        ),
    ]
