"""A signature of the OST agreement records who signed as ORCID knows them: the signer's
verified ORCID iD (issue 16). Earlier signatures get their signer's iD if it is verified
(accounts 0002 left only proved iDs in ``User.orcid_id``), else stay blank."""

import core.identifiers
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fill_from_verified_ids(apps, schema_editor):
    Signature = apps.get_model("contributors", "Signature")
    User = apps.get_model("accounts", "User")
    verified = User.objects.filter(pk=OuterRef("signer_id")).values("orcid_id")[:1]
    Signature.objects.filter(signer__orcid_id__isnull=False).update(orcid_id=Subquery(verified))


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_verified_orcid_ids"),
        ("contributors", "0003_staff_permissions"),
    ]

    operations = [
        migrations.AddField(
            model_name="signature",
            name="orcid_id",
            field=models.CharField(
                blank=True,
                max_length=19,
                validators=[core.identifiers.validate_orcid],
                verbose_name="ORCID iD",
            ),
        ),
        migrations.RunPython(fill_from_verified_ids, migrations.RunPython.noop),
    ]
