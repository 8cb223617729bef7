"""Personalization data: signals, trending counters, embeddings and the homepage cache."""
