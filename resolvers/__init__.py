"""Thin resolvers: GraphQL arguments -> domain commands or reads -> read models."""
