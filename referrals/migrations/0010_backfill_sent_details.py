"""Backfill the as-sent patient details of referrals made before they existed.

Where no mismatch was flagged (``identity_check_required`` false), the name and
date of birth the referral sent matched the record held for its NHS number, so
the referrer is shown the held details as theirs. The held record is never
overwritten (intake keeps it; the admin is read-only), so it is still the
record the referral was matched to. Sex and postcode were not compared at
intake; the held ones are taken as sent (an accepted approximation, hazard H18).

A referral with a flagged mismatch is left blank: what it sent was not kept,
and the held details are not the referrer's to see ("not recorded").
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery

FIELDS = ("given_name", "family_name", "date_of_birth", "sex", "postcode")


def backfill(apps, schema_editor):
    Referral = apps.get_model("referrals", "Referral")
    Patient = apps.get_model("referrals", "Patient")
    held = Patient.objects.filter(pk=OuterRef("patient_id"))
    Referral.objects.filter(identity_check_required=False, sent_date_of_birth__isnull=True).update(
        **{f"sent_{name}": Subquery(held.values(name)[:1]) for name in FIELDS}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("referrals", "0009_referral_sent_details"),
    ]

    operations = [
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True),
    ]
