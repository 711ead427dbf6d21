"""Webhooks: events for the provider's systems, written with the change that causes them, signed
and delivered over HTTP with retries (docs/webhooks.md)."""
