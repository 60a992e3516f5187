from django.db import migrations

from creditapp.tenancy.operations import EnableRLS


class Migration(migrations.Migration):
    """The admin's log names the staff member in `user_id`; staff write it through the maint role."""

    dependencies = [
        ("accounts", "0001_initial"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]
    operations = [EnableRLS(table="django_admin_log")]
