"""Event bus, transactional outbox relay and subscription resolvers."""
