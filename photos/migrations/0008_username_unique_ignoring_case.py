"""Usernames are unique whatever their case: ``bob`` and ``BOB`` can no longer both exist."""

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Lower

import photos.models


def rename_case_duplicates(apps, schema_editor):
    """Give every account but the oldest of a case-duplicated name a distinct one, or the constraint fails.

    ``BOB`` (id 7) beside an older ``bob`` becomes ``BOB_7``: the person can still sign in with it.
    """
    User = apps.get_model("photos", "User")
    seen: set[str] = set()
    for user in User.objects.annotate(lowered=Lower("username")).order_by("lowered", "date_joined", "pk").iterator():
        if user.lowered in seen:
            user.username = f"{user.username[: 150 - len(str(user.pk)) - 1]}_{user.pk}"
            user.save(update_fields=["username"])
        seen.add(user.lowered)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("photos", "0007_media_lookup_indexes"),
    ]

    operations = [
        migrations.AlterModelManagers(
            name="user",
            managers=[
                ("objects", photos.models.UserManager()),
            ],
        ),
        migrations.RunPython(rename_case_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("username"),
                name="username_unique_ignoring_case",
                violation_error_message="That username is taken.",
            ),
        ),
    ]
