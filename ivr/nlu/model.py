"""Small linear models over :mod:`features`: softmax for the category, logistic for emergency.

Trained by ``scripts/nlu_model.py`` (``make nlu-model``) from the labelled corpus, full-batch
gradient descent from zeros, so the same data gives the same weights. The weights file is a
few tens of kilobytes and is regenerated, never edited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

Matrix = npt.NDArray[np.float64]
WEIGHTS_FILE = Path(__file__).with_name("model.npz")


def softmax(z: Matrix) -> Matrix:
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: Matrix = e / e.sum(axis=-1, keepdims=True)
    return out


def sigmoid(z: Matrix) -> Matrix:
    out: Matrix = 1.0 / (1.0 + np.exp(-z))
    return out


def train_softmax(x: Matrix, y: npt.NDArray[np.int64], classes: int, *, l2: float = 1e-3, steps: int = 1500, lr: float = 0.5) -> Matrix:
    w = np.zeros((x.shape[1], classes))
    onehot = np.eye(classes)[y]
    n = x.shape[0]
    for _ in range(steps):
        p = softmax(x @ w)
        grad = x.T @ (p - onehot) / n + l2 * w
        w -= lr * grad
    return w


def train_logistic(
    x: Matrix, y: npt.NDArray[np.float64], *, l2: float = 1e-3, steps: int = 1500, lr: float = 0.5, positive_weight: float = 1.0,
) -> Matrix:
    w = np.zeros(x.shape[1])
    sample = np.where(y > 0.5, positive_weight, 1.0)
    sample = sample / sample.mean()
    n = x.shape[0]
    for _ in range(steps):
        p = sigmoid(x @ w)
        grad = x.T @ ((p - y) * sample) / n + l2 * w
        w -= lr * grad
    return w


@dataclass(frozen=True)
class Weights:
    categories: tuple[str, ...]
    category: Matrix  # features x categories
    emergency: Matrix  # features
    emergency_threshold: float

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            categories=np.array(self.categories),
            category=self.category.astype(np.float32),
            emergency=self.emergency.astype(np.float32),
            emergency_threshold=np.array(self.emergency_threshold, dtype=np.float32),
        )

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Weights:
        with np.load(path) as d:
            return cls(
                categories=tuple(str(c) for c in d["categories"]),
                category=d["category"].astype(np.float64),
                emergency=d["emergency"].astype(np.float64),
                emergency_threshold=float(d["emergency_threshold"]),
            )

    def category_probabilities(self, x: Matrix) -> Matrix:
        return softmax(x @ self.category)

    def emergency_probability(self, x: Matrix) -> Matrix:
        return sigmoid(x @ self.emergency)
