from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION app_current_user_id() RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$ SELECT NULLIF(current_setting('app.current_user_id', true), '')::bigint $$
"""


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []
    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS app_current_user_id()"),
    ]
