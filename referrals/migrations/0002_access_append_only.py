"""On PostgreSQL, make the patient-data access log append-only in the database
itself, so not even a direct SQL session can edit or remove who saw what."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION referrals_access_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'referrals_patientdataaccess is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER referrals_access_append_only
    BEFORE UPDATE OR DELETE ON referrals_patientdataaccess
    FOR EACH ROW EXECUTE FUNCTION referrals_access_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS referrals_access_append_only ON referrals_patientdataaccess;
DROP FUNCTION IF EXISTS referrals_access_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("referrals", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
