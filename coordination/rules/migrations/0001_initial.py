"""The rules room's models, moved here from the coordination app: their tables keep
their names (``coordination_*``), so this changes the migration state, never the database."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("coordination", "0007_rooms"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables exist already (made by coordination's migrations): only the state moves.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='RuleSet',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('version', models.PositiveIntegerField(unique=True, verbose_name='version')),
                        ('title', models.CharField(blank=True, max_length=200, verbose_name='title')),
                        ('status', models.CharField(choices=[('draft', 'Draft'), ('active', 'Active'), ('retired', 'Retired')], default='draft', max_length=16, verbose_name='status')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('published_at', models.DateTimeField(blank=True, null=True)),
                        ('based_on', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='rules.ruleset')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('published_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'rule set',
                        'verbose_name_plural': 'rule sets',
                        'db_table': 'coordination_ruleset',
                        'ordering': ['-version'],
                    },
                ),
                migrations.CreateModel(
                    name='Rule',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('position', models.PositiveIntegerField(default=100, verbose_name='position')),
                        ('conditions', models.JSONField(blank=True, default=dict, verbose_name='conditions')),
                        ('actions', models.JSONField(blank=True, default=dict, verbose_name='actions')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('ruleset', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rules', to='rules.ruleset')),
                    ],
                    options={
                        'verbose_name': 'routing rule',
                        'verbose_name_plural': 'routing rules',
                        'db_table': 'coordination_rule',
                        'ordering': ['position', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='RuleSetPublication',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(choices=[('publish', 'Published'), ('rollback', 'Rolled back to')], max_length=16)),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('note', models.TextField(blank=True)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('previous', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='rules.ruleset')),
                        ('ruleset', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='publications', to='rules.ruleset')),
                    ],
                    options={
                        'verbose_name': 'rule set publication',
                        'verbose_name_plural': 'rule set publications',
                        'db_table': 'coordination_rulesetpublication',
                        'ordering': ['-at', '-id'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='ruleset',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'active')), fields=('status',), name='coordination_ruleset_one_active', violation_error_message='Only one rule set can be active.'),
                ),
    ]
        ),
    ]
