from django.core.management.base import BaseCommand, CommandError

from umkm_directory.backup import BackupError, create_backup


class Command(BaseCommand):
    help = (
        "Write one .tar.gz archive with a consistent copy of the database and every media file. "
        "Safe while the site runs. DEST is the archive path (ending in .tar.gz) or a folder."
    )

    def add_arguments(self, parser):
        parser.add_argument("dest", help="archive file (*.tar.gz) or folder for a time-stamped archive")

    def handle(self, *args, dest, **options):
        try:
            path, manifest = create_backup(dest)
        except BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(manifest["counts"].values())
        self.stderr.write(
            f"Backed up {manifest['backend']} database ({rows} rows) and "
            f"{len(manifest['media'])} media files."
        )
        # The archive path alone on stdout, for scripts.
        self.stdout.write(str(path))
