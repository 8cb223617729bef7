"""Personalization use cases: the homepage, My List and thumbs."""
