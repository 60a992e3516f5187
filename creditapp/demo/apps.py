from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo tenant's seeding: it may use every app, so it sits above all of them."""

    name = "creditapp.demo"
    label = "demo"
