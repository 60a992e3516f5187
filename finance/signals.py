from django.dispatch import Signal

# Sent after an item's data changed (kwargs: user_id, item_pk); alerts and caches listen.
item_synced = Signal()
