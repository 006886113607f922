from django.db import migrations


def install(apps, schema_editor):
    from appraisals.questionnaires import install as install_questionnaires

    install_questionnaires(apps)


class Migration(migrations.Migration):
    dependencies = [("appraisals", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
