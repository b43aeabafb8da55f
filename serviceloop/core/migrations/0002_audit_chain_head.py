from django.db import migrations


def create_head(apps, schema_editor):
    # The single row every audit append locks; created here so appends never race to create it.
    AuditChainHead = apps.get_model("core", "AuditChainHead")
    AuditChainHead.objects.get_or_create(pk=1, defaults={"last_hash": "0" * 64})


def remove_head(apps, schema_editor):
    apps.get_model("core", "AuditChainHead").objects.filter(pk=1).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create_head, remove_head)]
