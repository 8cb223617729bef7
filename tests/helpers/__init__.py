"""What tests share: the stores they run on, the API client, the seeded catalog, journeys."""
