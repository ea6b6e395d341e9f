"""Pure functions on embeddings and perceptual hashes: no ORM, no settings."""

import numpy as np
from PIL import Image

EMBEDDING_SIZE = 1280
VECTOR_DTYPE = np.dtype("<f2")
HASH_BITS = 64
# Chosen on data by bench/duplicates.py (transformed copies of real photos vs distinct photos, two
# halves of one photo and photos sharing a tag among them): a re-encode or a resize keeps the hash
# within a few bits; a crop, a brightness change or a small rotation keeps the embedding above the
# floor, while distinct photos stay below both (closest distinct hashes: 18 bits apart; most similar
# distinct photos, the stereo motorcycle pair: cosine 0.899). README "Near-duplicates" has the figures.
HASH_MAX_DISTANCE = 8
EMBEDDING_MIN_SIMILARITY = 0.91
# "More like this" shows nothing less alike than this (cosine). Chosen on data: see README "More like this".
SIMILAR_MIN_SIMILARITY = 0.5


def vector_pack(embedding: np.ndarray) -> bytes:
    """Return an L2-normalised embedding as float16 little-endian bytes (2,560 for 1280 values)."""
    embedding = np.asarray(embedding, dtype=np.float32)
    if embedding.shape != (EMBEDDING_SIZE,):
        raise ValueError(f"expected an embedding of shape ({EMBEDDING_SIZE},), got {embedding.shape}")
    return embedding.astype(VECTOR_DTYPE).tobytes()


def vectors_unpack(blobs: list[bytes | memoryview]) -> np.ndarray:
    """Return packed embeddings as a float32 matrix (N, 1280), rows renormalised after float16 rounding."""
    if not blobs:
        return np.empty((0, EMBEDDING_SIZE), np.float32)
    matrix = np.frombuffer(b"".join(bytes(b) for b in blobs), dtype=VECTOR_DTYPE).astype(np.float32)
    matrix = matrix.reshape(len(blobs), EMBEDDING_SIZE)
    return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), np.float32(1e-12))


def perceptual_hash(pixels: np.ndarray) -> int:
    """Return the 64-bit DCT perceptual hash of uint8 RGB pixels as a signed 64-bit integer (a BigIntegerField)."""
    import imagehash  # brings scipy and PyWavelets: only the worker needs it

    bits = imagehash.phash(Image.fromarray(np.asarray(pixels, dtype=np.uint8))).hash.flatten()
    unsigned = int("".join("1" if b else "0" for b in bits), 2)
    return unsigned - (1 << HASH_BITS) if unsigned >= 1 << (HASH_BITS - 1) else unsigned


def hash_distances(phash: int, others: np.ndarray) -> np.ndarray:
    """Return how many of the 64 bits differ between ``phash`` and each of ``others`` (int64 array)."""
    xor = np.bitwise_xor(np.asarray(others, dtype=np.int64), np.int64(phash)).view(np.uint64)
    return np.unpackbits(xor.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)
