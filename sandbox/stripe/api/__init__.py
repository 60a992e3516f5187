"""The `/v1` endpoints the app uses, with the parameters stripe-python sends and the shapes it reads.

Importing this package registers every route on `sandbox.stripe.routing.router`.
"""

from sandbox.stripe.api import checkout, customers, events, prices, subscriptions

__all__ = ["checkout", "customers", "events", "prices", "subscriptions"]
