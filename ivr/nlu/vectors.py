"""Russian word vectors: navec (news, 250K words, 300 dimensions, quantised), as shipped in
the ``natasha`` wheel. Only natasha's data file is used (natasha itself needs pymorphy2,
which fails on Python 3.11): it is installed without its dependencies (see the Makefile).

Loading takes about a second and ~150 MB: :func:`load` once at start, off the event loop.
"""

from __future__ import annotations

import importlib.metadata
import threading
from pathlib import Path

import numpy as np
import numpy.typing as npt
from navec import Navec

NAVEC_FILE = "natasha/data/emb/navec_news_v1_1B_250K_300d_100q.tar"
DIM = 300

Vector = npt.NDArray[np.float32]


class EmbeddingsMissing(RuntimeError):
    """The navec file is not installed."""


def navec_path() -> Path:
    try:
        path = Path(str(importlib.metadata.distribution("natasha").locate_file(NAVEC_FILE)))
    except importlib.metadata.PackageNotFoundError:
        path = Path("/nonexistent")
    if not path.is_file():
        raise EmbeddingsMissing(
            "нет файла векторов navec: установите пакет natasha без зависимостей "
            "(pip install --no-deps natasha==1.6.0; make venv делает это сам)"
        )
    return path


class Vectors:
    """Vectors of known words; unit length, so a dot product is a cosine."""

    def __init__(self, navec: Navec) -> None:
        self._navec = navec
        self._cache: dict[str, Vector | None] = {}

    def get(self, word: str) -> Vector | None:
        if word in self._cache:
            return self._cache[word]
        v: Vector | None = None
        if word in self._navec:
            raw = np.asarray(self._navec[word], dtype=np.float32)
            norm = float(np.linalg.norm(raw))
            v = raw / norm if norm > 0 else None
        if len(self._cache) < 200_000:
            self._cache[word] = v
        return v


_lock = threading.Lock()
_vectors: Vectors | None = None


def load() -> Vectors:
    """The process's vectors, loaded on first call (thread-safe)."""
    global _vectors
    if _vectors is None:
        with _lock:
            if _vectors is None:
                _vectors = Vectors(Navec.load(str(navec_path())))
    return _vectors
