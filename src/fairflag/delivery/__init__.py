"""Delivery of actions to the platform: the transactional outbox, signed webhooks and the pull feed."""
