"""The deadlines room's models, moved here from the coordination app: their tables keep
their names (``coordination_*``), so this changes the migration state, never the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("coordination", "0007_rooms"),
        ('issues', '0005_contactaccess'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables exist already (made by coordination's migrations): only the state moves.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='CalendarDay',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(unique=True, verbose_name='date')),
                        ('kind', models.CharField(choices=[('holiday', 'Public holiday'), ('workday', 'Make-up working day')], max_length=16, verbose_name='kind')),
                        ('name', models.CharField(blank=True, max_length=100, verbose_name='name')),
                    ],
                    options={
                        'verbose_name': 'calendar day',
                        'verbose_name_plural': 'calendar days',
                        'db_table': 'coordination_calendarday',
                        'ordering': ['date'],
                    },
                ),
                migrations.CreateModel(
                    name='SLAPolicy',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(blank=True, help_text="Name a policy so that routing rules can choose it (a rule's deadline policy).", max_length=64, verbose_name='code')),
                        ('priority', models.CharField(blank=True, choices=[('low', 'Low'), ('normal', 'Normal'), ('high', 'High'), ('urgent', 'Urgent')], max_length=16, verbose_name='priority')),
                        ('response_hours', models.PositiveIntegerField(default=2, verbose_name='hours to respond')),
                        ('resolution_hours', models.PositiveIntegerField(default=72, verbose_name='hours to resolve')),
                        ('round_the_clock', models.BooleanField(default=False, help_text='Count calendar hours, not working hours (for urgent matters).', verbose_name='count every hour')),
                        ('category', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='sla_policies', to='issues.category')),
                    ],
                    options={
                        'verbose_name': 'deadline policy',
                        'verbose_name_plural': 'deadline policies',
                        'db_table': 'coordination_slapolicy',
                        'constraints': [models.UniqueConstraint(condition=models.Q(('category__isnull', False)), fields=('category', 'priority'), name='coordination_slapolicy_one_per_category_priority', violation_error_message='A policy for this category and priority exists already.'), models.UniqueConstraint(condition=models.Q(('code', ''), _negated=True), fields=('code',), name='coordination_slapolicy_unique_code', violation_error_message='Another deadline policy has this code.'), models.UniqueConstraint(condition=models.Q(('category__isnull', True)), fields=('priority',), name='coordination_slapolicy_one_default_per_priority', violation_error_message='A city-wide policy for this priority exists already.'), models.CheckConstraint(condition=models.Q(('response_hours__lte', models.F('resolution_hours'))), name='coordination_slapolicy_response_before_resolution', violation_error_message='The response time cannot exceed the resolution time.')],
                    },
                ),
    ]
        ),
    ]
