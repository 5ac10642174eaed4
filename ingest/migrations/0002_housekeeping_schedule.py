"""The ingest housekeeping on beat, editable in admin (Periodic tasks)."""

from django.db import migrations

SCHEDULE = [
    # (name, task, every, period)
    ("Ingest: re-enqueue stuck jobs", "ingest.tasks.jobs_recover_task", 1, "minutes"),
    ("Ingest: sweep leftover work directories", "ingest.tasks.work_dirs_sweep_task", 1, "hours"),
]


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, period in SCHEDULE:
        interval, _ = IntervalSchedule.objects.get_or_create(every=every, period=period)
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": interval})


def unschedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
