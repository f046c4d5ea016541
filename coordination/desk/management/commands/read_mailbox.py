from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coordination.desk.mailbox import ImapMailbox, mailbox_read


class Command(BaseCommand):
    help = "File each new message of the hotline's mailbox (IMAP) as an issue of channel e-mail."

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.INBOUND_MAIL_URL)

    def handle(self, *args, url: str = "", **options):
        if not url:
            raise CommandError("Give --url imaps://user:password@host/INBOX or INBOUND_MAIL_URL.")
        filed = mailbox_read(ImapMailbox(url))
        self.stdout.write(f"{filed} filed")
