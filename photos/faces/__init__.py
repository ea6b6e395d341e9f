"""Faces: how many faces a photo shows and where (detection only: no recognition, no identity, no search)."""
