"""Local servers speaking Plaid's, Experian's and Stripe's wire formats (dev, demo and tests only).

Never mounted in production: it runs as its own process (`python -m sandbox`), and the app points at
it only when no vendor credentials are configured.
"""
