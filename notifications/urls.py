from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.alert_list, name="alerts"),
    path("read-all/", views.alerts_read_all, name="alerts-read-all"),
    path("<int:pk>/read/", views.alert_read, name="alert-read"),
    path("<int:pk>/dismiss/", views.alert_dismiss, name="alert-dismiss"),
]
