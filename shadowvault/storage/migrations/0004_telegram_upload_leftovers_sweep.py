"""Telegram uploads in progress (what they posted), and beat's sweep of what interrupted
stores left behind (temporary files in the vault, messages of uploads that never ended)."""

from django.db import migrations, models

NAME = "Storage: sweep what interrupted stores left"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=1, period="hours")
    PeriodicTask.objects.get_or_create(
        name=NAME,
        defaults={"task": "shadowvault.storage.tasks.leftovers_sweep_task", "interval": every},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("storage", "0003_channel_access_and_link"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.CreateModel(
            name="TelegramUpload",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "parts",
                    models.JSONField(
                        default=list, help_text='[{"chat": ..., "message": ..., ...}]'
                    ),
                ),
                ("touched_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.RunPython(schedule, unschedule),
    ]
