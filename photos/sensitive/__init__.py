"""Sensitive photos: marked by their owners, shown blurred (a server-made copy) until someone asks."""
