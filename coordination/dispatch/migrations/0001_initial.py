"""The dispatch room's models, moved here from the coordination app: their tables keep
their names (``coordination_*``), so this changes the migration state, never the database."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("coordination", "0007_rooms"),
        ('agencies', '0001_initial'),
        ('deadlines', '0001_initial'),
        ('issues', '0005_contactaccess'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            # The tables exist already (made by coordination's migrations): only the state moves.
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Assignment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('lead', 'Lead (主办)'), ('co_handler', 'Co-handler (协办)')], max_length=16, verbose_name='role')),
                        ('status', models.CharField(choices=[('pending', 'Waiting to be accepted'), ('accepted', 'Accepted'), ('done', 'Done'), ('returned', 'Returned'), ('cancelled', 'Cancelled')], default='pending', max_length=16, verbose_name='status')),
                        ('response_due_at', models.DateTimeField(blank=True, null=True, verbose_name='accept by')),
                        ('due_at', models.DateTimeField(blank=True, null=True, verbose_name='resolve by')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('accepted_at', models.DateTimeField(blank=True, null=True)),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('resolution', models.TextField(blank=True, verbose_name='resolution')),
                        ('summoned', models.BooleanField(default=False, verbose_name='summoned by whistle')),
                        ('redo', models.BooleanField(default=False, verbose_name='redo')),
                        ('extended', models.BooleanField(default=False, verbose_name='deadline extended')),
                        ('accepted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='agencies.agency', verbose_name='organisation')),
                        ('issue', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='assignments', to='issues.issue')),
                        ('sla_policy', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='deadlines.slapolicy')),
                    ],
                    options={
                        'verbose_name': 'assignment',
                        'verbose_name_plural': 'assignments',
                        'db_table': 'coordination_assignment',
                        'ordering': ['due_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='CoordinationRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('bounce', 'Bounce-back (退单)'), ('transfer', 'Transfer (转办)'), ('cohandle', 'Co-handling (协办)'), ('extension', 'Extension (延期)'), ('appeal', 'Rating appeal')], max_length=16, verbose_name='kind')),
                        ('status', models.CharField(choices=[('open', 'Waiting for the dispatcher'), ('approved', 'Approved'), ('rejected', 'Rejected')], default='open', max_length=16, verbose_name='status')),
                        ('reason', models.TextField(max_length=2000, verbose_name='reason')),
                        ('payload', models.JSONField(blank=True, default=dict)),
                        ('requested_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('decision_note', models.TextField(blank=True, verbose_name='decision note')),
                        ('assignment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='requests', to='dispatch.assignment')),
                        ('decided_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('issue', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='coordination_requests', to='issues.issue')),
                        ('requested_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'coordination request',
                        'verbose_name_plural': 'coordination requests',
                        'db_table': 'coordination_coordinationrequest',
                        'ordering': ['requested_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='DeadlineEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('clock', models.CharField(choices=[('response', 'Accept'), ('resolution', 'Resolve')], max_length=16)),
                        ('step', models.CharField(choices=[('warning', 'Deadline near'), ('reminder', 'Deadline reached'), ('managers', "Escalated to the organisation's managers"), ('dispatcher', 'Escalated to the dispatcher')], max_length=16)),
                        ('due_at', models.DateTimeField()),
                        ('at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('assignment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='deadline_events', to='dispatch.assignment')),
                    ],
                    options={
                        'verbose_name': 'deadline event',
                        'verbose_name_plural': 'deadline events',
                        'db_table': 'coordination_deadlineevent',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='Handoff',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('submitted', 'Submitted'), ('routed', 'Routed'), ('triaged', 'Sent to triage'), ('dispatched', 'Dispatched by hand'), ('accepted', 'Accepted (签收)'), ('bounce_requested', 'Return requested (退单)'), ('bounce_approved', 'Return approved'), ('bounce_rejected', 'Return rejected'), ('transfer_requested', 'Transfer requested (转办)'), ('transferred', 'Transferred'), ('transfer_rejected', 'Transfer rejected'), ('cohandling_requested', 'Co-handling requested (协办)'), ('cohandler_added', 'Co-handler added'), ('cohandling_rejected', 'Co-handling rejected'), ('whistle', 'Whistle (吹哨报到)'), ('extension_requested', 'Extension requested (延期)'), ('extension_granted', 'Extension granted'), ('extension_denied', 'Extension denied'), ('reminded', 'Reminded'), ('escalated', 'Escalated (督办)'), ('replied', 'Replied'), ('resolved', 'Resolved'), ('feedback', 'Feedback (回访)'), ('appeal_requested', 'Rating appealed'), ('appeal_upheld', 'Appeal upheld: rating left out'), ('appeal_rejected', 'Appeal rejected'), ('reopened', 'Reopened'), ('closed', 'Closed'), ('merged', 'Merged (并单)')], max_length=32, verbose_name='kind')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('details', models.JSONField(blank=True, default=dict, verbose_name='decision details')),
                        ('at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('assignment', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='handoffs', to='dispatch.assignment')),
                        ('from_agency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agencies.agency')),
                        ('issue', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='handoffs', to='issues.issue')),
                        ('to_agency', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='agencies.agency')),
                    ],
                    options={
                        'verbose_name': 'handoff',
                        'verbose_name_plural': 'handoffs',
                        'db_table': 'coordination_handoff',
                        'ordering': ['at', 'id'],
                    },
                ),
                migrations.AddIndex(
                    model_name='assignment',
                    index=models.Index(fields=['agency', 'status', 'due_at'], name='coord_assign_queue'),
                ),
                migrations.AddIndex(
                    model_name='assignment',
                    index=models.Index(condition=models.Q(('status__in', ['pending', 'accepted'])), fields=['agency', 'due_at', 'id'], name='coord_assign_open_queue'),
                ),
                migrations.AddConstraint(
                    model_name='assignment',
                    constraint=models.UniqueConstraint(condition=models.Q(('role', 'lead'), ('status__in', ['pending', 'accepted'])), fields=('issue',), name='coordination_assignment_one_active_lead', violation_error_message='An issue has at most one active lead.'),
                ),
                migrations.AddConstraint(
                    model_name='assignment',
                    constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['pending', 'accepted'])), fields=('issue', 'agency'), name='coordination_assignment_one_active_per_agency', violation_error_message='This organisation already holds an active assignment for this issue.'),
                ),
                migrations.AddConstraint(
                    model_name='assignment',
                    constraint=models.CheckConstraint(condition=models.Q(('accepted_at__isnull', True), models.Q(('status', 'pending'), _negated=True), _connector='OR'), name='coordination_assignment_pending_not_accepted', violation_error_message='A pending assignment has not been accepted.'),
                ),
                migrations.AddIndex(
                    model_name='coordinationrequest',
                    index=models.Index(fields=['status', 'kind'], name='coord_request_open'),
                ),
                migrations.AddConstraint(
                    model_name='coordinationrequest',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('assignment', 'kind'), name='coordination_coordinationrequest_one_open_per_kind', violation_error_message='A request of this kind is already waiting.'),
                ),
                migrations.AddConstraint(
                    model_name='deadlineevent',
                    constraint=models.UniqueConstraint(fields=('assignment', 'clock', 'step', 'due_at'), name='coordination_deadlineevent_once_per_deadline', violation_error_message='This step was taken for this deadline already.'),
                ),
                migrations.AddIndex(
                    model_name='handoff',
                    index=models.Index(fields=['issue', 'at'], name='coord_handoff_issue_at'),
                ),
    ]
        ),
    ]
