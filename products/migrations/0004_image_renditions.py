from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("products", "0003_search_index")]

    operations = [
        migrations.AddField(
            model_name="productimage",
            name="renditions",
            field=models.JSONField(blank=True, default=dict, editable=False),
        ),
    ]
