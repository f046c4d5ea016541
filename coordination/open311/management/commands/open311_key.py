"""Issue, list and revoke the API keys partners use to POST Open311 service requests."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from agencies.models import Agency
from coordination.open311.models import ApiKey
from coordination.open311.services import api_key_create, api_key_revoke


class Command(BaseCommand):
    help = "Open311 API keys: create (prints the key alone on its last line), list, revoke."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="issue a key")
        create.add_argument("--name", required=True, help="who the key is for")
        create.add_argument("--agency", help="code of the partner's organisation (optional)")
        actions.add_parser("list", help="list the keys (prefixes only)")
        revoke = actions.add_parser("revoke", help="deactivate a key")
        revoke.add_argument("--prefix", required=True, help="the key's first characters")

    def handle(self, *args, action: str, **options):
        getattr(self, f"handle_{action}")(**options)

    def handle_create(self, *, name: str, agency: str | None, **options) -> None:
        organisation = None
        if agency:
            organisation = Agency.objects.filter(code=agency).first()
            if organisation is None:
                raise CommandError(f"No organisation with code {agency!r}.")
        api_key, key = api_key_create(name=name, agency=organisation)
        self.stdout.write(f"Issued Open311 API key {api_key.prefix}… to {api_key.name}.")
        self.stdout.write("It is shown only now; store it safely. The key:")
        # Alone on the last line, so scripts can take it with `tail -n 1`.
        self.stdout.write(key)

    def handle_list(self, **options) -> None:
        for api_key in ApiKey.objects.select_related("agency"):
            state = "active" if api_key.active else "revoked"
            agency = api_key.agency.code if api_key.agency else "-"
            used = api_key.last_used_at.isoformat() if api_key.last_used_at else "never"
            self.stdout.write(f"{api_key.prefix}\t{state}\t{agency}\t{used}\t{api_key.name}")

    def handle_revoke(self, *, prefix: str, **options) -> None:
        if ApiKey.objects.filter(prefix=prefix, active=True).count() > 1:
            raise CommandError(f"More than one active key starts with {prefix!r}.")
        if not api_key_revoke(prefix=prefix):
            raise CommandError(f"No active key starts with {prefix!r}.")
        self.stdout.write(f"Revoked the key {prefix}….")
