"""A person's data back: a zip of their photos and what they did, built by a worker, fetched by them only."""
