from django.core.management.base import BaseCommand, CommandError

from accounts.selectors import program_switches
from accounts.services import generation_pause_set
from core.errors import ApplicationError


class Command(BaseCommand):
    help = (
        "Pause all generation for everyone (the global kill switch), or resume it; the same switch and "
        "audit event as the staff switches page. Queued jobs wait, running ones finish."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group(required=True)
        action.add_argument("--reason", help="why generation is paused; artists see it")
        action.add_argument("--resume", action="store_true", help="let generation run again")

    def handle(self, *args, reason=None, resume=False, **options):
        if resume:
            if not program_switches().generation_paused:
                self.stdout.write("Generation is not paused; nothing to do.")
                return
            generation_pause_set(actor=None, paused=False)
            self.stdout.write("Generation resumed; waiting jobs start now.")
            return
        try:
            switches = generation_pause_set(actor=None, paused=True, reason=reason or "")
        except ApplicationError as refusal:
            raise CommandError(f'{refusal.message} (--reason "...")') from refusal
        self.stdout.write(f"Generation paused for everyone: {switches.generation_paused_reason}")
