"""``manage.py load_imd FILE.csv [--replace]``: the postcode → IMD decile lookup."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.deprivation import LookupFileError, postcode_deprivation_load


class Command(BaseCommand):
    help = (
        "Load a postcode → LSOA → IMD decile lookup (CSV with postcode, LSOA code and "
        "IMD decile columns, by their published names). All lines are checked first; "
        "nothing is written if any is bad."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--replace", action="store_true", help="Remove every postcode not in this file."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")

        def progress(rows: int) -> None:
            self.stderr.write(f"{rows:,} postcodes written")

        try:
            result = postcode_deprivation_load(
                path=path, replace=options["replace"], progress=progress
            )
        except LookupFileError as error:
            raise CommandError("Nothing loaded:\n" + "\n".join(error.errors)) from None
        except UnicodeDecodeError:
            raise CommandError("Nothing loaded: the file is not UTF-8 text.") from None
        self.stdout.write(f"Loaded {result.rows:,} postcodes.")
