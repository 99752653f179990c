from django.core.management.base import BaseCommand, CommandError

from umkm_directory.backup import BackupError, restore_backup


class Command(BaseCommand):
    help = (
        "Restore the database and media files from an archive made by `backup`, then check every "
        "table's row count and every file's checksum against it. Stop the site first. Refuses a "
        "database that already holds accounts or catalogue data unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="archive made by `manage.py backup`")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace the data of an installation that is already in use",
        )

    def handle(self, *args, archive, force, **options):
        try:
            manifest = restore_backup(archive, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["counts"].values())
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored the backup of {manifest['created_at']}: {rows} rows and "
                f"{len(manifest['media'])} media files, all verified. "
                "Run `manage.py migrate` if this code is newer than the backup."
            )
        )
