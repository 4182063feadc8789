"""SafeDesk: a customer-support bot that answers only from a verified knowledge base."""
