"""The tokens of DRF's authtoken app (one per user, never expiring) stop
working with this release: API tokens are knox's, one per sign-in. Their rows
are deleted so no never-expiring secret outlives its use; the table itself is
left (the app is no longer installed), so an older release still starts."""

from django.db import migrations


def forget_drf_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if "authtoken_token" in connection.introspection.table_names():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(forget_drf_tokens, migrations.RunPython.noop)]
