from django.urls import path

from billing import views

app_name = "billing"
urlpatterns = [
    path("", views.plans, name="plans"),
    path("pricing/", views.pricing, name="pricing"),
    path("checkout/", views.checkout, name="checkout"),
    path("success/", views.success, name="success"),
    path("status/", views.status, name="status"),
    path("portal/", views.portal, name="portal"),
    path("webhook/", views.webhook, name="webhook"),
]
