"""Each comment gets a random key in place of ``shuffle``: the key names the comment in the
appraiser's redaction link (which showed the response's id, in order of submission) and orders
it in the report."""

import appraisals.models
from django.db import migrations, models


def draw_keys(apps, schema_editor):
    # AddField gives every existing row the same default: draw a fresh key for each comment.
    Response = apps.get_model("appraisals", "Response")
    responses = list(Response.objects.only("pk"))
    for response in responses:
        response.keep_doing_key = appraisals.models.comment_key()
        response.do_differently_key = appraisals.models.comment_key()
    Response.objects.bulk_update(responses, ["keep_doing_key", "do_differently_key"],
                                 batch_size=1000)


class Migration(migrations.Migration):

    dependencies = [
        ("appraisals", "0003_cycle_history"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="response",
            options={"ordering": ["cycle", "keep_doing_key"]},
        ),
        migrations.RemoveField(
            model_name="response",
            name="shuffle",
        ),
        migrations.AddField(
            model_name="response",
            name="keep_doing_key",
            field=models.CharField(default=appraisals.models.comment_key, editable=False,
                                   max_length=24),
        ),
        migrations.AddField(
            model_name="response",
            name="do_differently_key",
            field=models.CharField(default=appraisals.models.comment_key, editable=False,
                                   max_length=24),
        ),
        migrations.RunPython(draw_keys, migrations.RunPython.noop),
    ]
