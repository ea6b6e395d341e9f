"""The approximate nearest-neighbour index: pure functions and files, no ORM and no settings.

A build projects the 1280-d embeddings onto their top principal directions (fitted on a sample,
uncentred so dot products are kept), stores them as int8 in a usearch HNSW graph and writes the
graph and the projection into a fresh directory, then points ``current.json`` at it with an
atomic rename. Readers memory-map the graph (``view=True``): web processes on one machine share
its pages, and a new build is picked up when ``current.json`` changes. Candidates from the index
are re-ranked with the exact float16 vectors, so its quantisation costs recall only where the true
neighbours fall outside the over-fetched candidates. Those vectors are written by the same build
beside the graph (``vectors.f16``: row i is the photo ``ids.npy[i]``, ids ascending) and
memory-mapped too: a query reads a few dozen 2.5 KB rows from the page cache instead of the
database. Photos embedded after the build are not in the file; the selector reads those from the DB.
"""

import contextlib
import json
import os
import shutil
import threading
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from recognition.inference import write_atomically  # the one writer of whole-or-nothing files

POINTER = "current.json"
GRAPH = "index.usearch"
PROJECTION = "projection.npy"
VECTORS = "vectors.f16"  # raw little-endian float16, (count, EMBEDDING_SIZE), rows in ``IDS`` order
IDS = "ids.npy"  # int64, ascending
EMBEDDING_SIZE = 1280
DEFAULT_DIMS = 128
# HNSW parameters measured by bench/similar.py: recall@10 >= 0.95 after re-ranking, p95 well under budget.
CONNECTIVITY = 16
EXPANSION_ADD = 64
EXPANSION_SEARCH = 128
PCA_SAMPLE = 10_000


def projection_fit(sample: np.ndarray, dims: int) -> np.ndarray:
    """Return a (1280, dims) projection onto the sample's top uncentred principal directions."""
    sample = np.asarray(sample, dtype=np.float64)
    dims = min(dims, sample.shape[1])
    # Uncentred: (Px)·(Py) approximates x·y, the cosine of unit embeddings, not a centred covariance.
    # Eigenvectors of the 1280x1280 second-moment matrix: one matrix product, far cheaper than an SVD.
    _, eigenvectors = np.linalg.eigh(sample.T @ sample)
    basis = eigenvectors[:, ::-1][:, :dims]
    return np.ascontiguousarray(basis, dtype=np.float32)


def _project(vectors: np.ndarray, projection: np.ndarray) -> np.ndarray:
    projected = np.asarray(vectors, dtype=np.float32) @ projection
    return projected / np.maximum(np.linalg.norm(projected, axis=1, keepdims=True), np.float32(1e-12))


@dataclass(frozen=True)
class BuildInfo:
    directory: str
    count: int
    dims: int
    model_version: str
    # Embeddings stored at or after this moment (ISO) may be missing from the build: search them exactly.
    embedded_since: str


def index_build(
    chunks: Iterable[tuple[np.ndarray, np.ndarray]],
    *,
    sample: np.ndarray,
    root: str | os.PathLike[str],
    model_version: str,
    embedded_since: str,
    dims: int = DEFAULT_DIMS,
    threads: int = 0,
) -> BuildInfo:
    """Build an index from (keys int64, unit vectors float32 (n, 1280)) chunks and make it current.

    Keys must ascend across chunks (the table streamed in primary-key order): ``ids.npy`` is then
    sorted and a key's row in ``vectors.f16`` is one binary search. The files are written into a
    new directory beside the current build, and ``current.json`` is
    replaced atomically last: a reader sees the old build or the new one, never half of one.
    Older builds but the previous one are deleted (a reader may still be opening it).
    """
    from usearch.index import Index

    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    projection = projection_fit(sample, dims)
    index = Index(
        ndim=projection.shape[1],
        metric="cos",
        dtype="i8",
        connectivity=CONNECTIVITY,
        expansion_add=EXPANSION_ADD,
        expansion_search=EXPANSION_SEARCH,
    )
    directory = root / f"build-{uuid.uuid4().hex[:12]}"
    directory.mkdir()
    try:
        all_keys = []
        with open(directory / VECTORS, "wb") as rows:
            for keys, vectors in chunks:
                if not len(keys):
                    continue
                keys = np.asarray(keys, dtype=np.int64)
                if (all_keys and keys[0] <= all_keys[-1][-1]) or np.any(np.diff(keys) <= 0):
                    raise ValueError("index_build needs keys ascending across chunks")
                all_keys.append(keys)
                rows.write(np.asarray(vectors, dtype="<f2").tobytes())
                index.add(keys.astype(np.uint64), _project(vectors, projection), threads=threads)
            rows.flush()
            os.fsync(rows.fileno())
        np.save(directory / IDS, np.concatenate(all_keys) if all_keys else np.empty(0, np.int64))
        index.save(str(directory / GRAPH))
        np.save(directory / PROJECTION, projection)
        info = BuildInfo(
            directory=directory.name,
            count=len(index),
            dims=int(projection.shape[1]),
            model_version=model_version,
            embedded_since=embedded_since,
        )
        write_atomically(root / POINTER, json.dumps(info.__dict__).encode())
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    _delete_old_builds(root, keep={directory.name})
    return info


def index_remove(root: str | os.PathLike[str]) -> None:
    """Forget the current build (the site shrank below the size worth an index): readers scan exactly."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(Path(root) / POINTER)
    _delete_old_builds(Path(root), keep=set())


def _delete_old_builds(root: Path, *, keep: set[str]) -> None:
    builds = sorted((p for p in root.glob("build-*") if p.name not in keep), key=lambda p: p.stat().st_mtime)
    # The newest older build stays: a reader may have read the old pointer and not yet opened it.
    for old in builds[:-1] if keep else builds:
        shutil.rmtree(old, ignore_errors=True)


class LoadedIndex:
    """A build, memory-mapped: ``search`` returns candidate keys best first."""

    def __init__(self, root: Path, info: BuildInfo) -> None:
        from usearch.index import Index

        directory = root / info.directory
        self.info = info
        self.projection = np.load(directory / PROJECTION)
        self._index = Index.restore(str(directory / GRAPH), view=True)
        self._index.expansion_search = EXPANSION_SEARCH
        self.ids = np.load(directory / IDS, mmap_mode="r")
        self.vectors = (
            np.memmap(directory / VECTORS, dtype="<f2", mode="r").reshape(-1, EMBEDDING_SIZE)
            if len(self.ids)
            else np.empty((0, EMBEDDING_SIZE), "<f2")
        )
        if len(self.vectors) != len(self.ids):
            raise ValueError(f"{directory}: {len(self.vectors)} vectors for {len(self.ids)} ids")

    def __len__(self) -> int:
        return len(self._index)

    def vectors_of(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (which of ``keys`` the build holds (bool mask), their unit vectors float32 (m, 1280))."""
        keys = np.asarray(keys, dtype=np.int64)
        rows = np.minimum(np.searchsorted(self.ids, keys), max(len(self.ids) - 1, 0))
        held = self.ids[rows] == keys if len(self.ids) else np.zeros(len(keys), bool)
        matrix = np.asarray(self.vectors[rows[held]], dtype=np.float32)
        return held, matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), np.float32(1e-12))

    def search(self, vector: np.ndarray, count: int) -> np.ndarray:
        """Return up to ``count`` keys nearest to the unit ``vector``, best first (int64)."""
        count = min(count, len(self._index))
        if count < 1:
            return np.empty(0, np.int64)
        if self._index.expansion_search < count:
            self._index.expansion_search = count
        matches = self._index.search(_project(vector[None], self.projection)[0], count)
        return np.asarray(matches.keys, dtype=np.int64)


_loaded: dict[Path, tuple[int, LoadedIndex]] = {}
_lock = threading.Lock()


def index_current(root: str | os.PathLike[str]) -> LoadedIndex | None:
    """Return this process's view of the current build under ``root``, reloading it when the pointer changed.

    One ``stat`` per call: a new build reaches every web process at its next query.
    """
    root = Path(root)
    try:
        stamp = (root / POINTER).stat().st_mtime_ns
    except FileNotFoundError:
        _loaded.pop(root, None)
        return None
    with _lock:
        cached = _loaded.get(root)
        if cached and cached[0] == stamp:
            return cached[1]
        try:
            info = BuildInfo(**json.loads((root / POINTER).read_bytes()))
            loaded = LoadedIndex(root, info)
        except (FileNotFoundError, ValueError, TypeError, RuntimeError, OSError):
            # Replaced or deleted while opening (a build just finished): the next call reads the new one.
            return cached[1] if cached else None
        _loaded[root] = (stamp, loaded)
        return loaded


def clear_cache() -> None:
    """Forget the builds this process has mapped (tests)."""
    _loaded.clear()
