"""Made-up labelled digits for the classifier's tests: three shapes anyone can tell apart."""

from __future__ import annotations

import numpy as np

from engine.data.labelled import Labelled

CLASSES = ("0", "1", "2")


def made_up_digits(per_class: int = 40, seed: int = 0) -> Labelled:
    """Three 'digits' anyone can tell apart: a horizontal bar (0), a vertical bar (1) and a
    diagonal (2), each placed at random, on a little noise."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for label in CLASSES:
        for _ in range(per_class):
            image = rng.integers(0, 40, size=(28, 28))
            at = int(rng.integers(6, 22))
            if label == "0":
                image[at:at + 3, 4:24] = 255
            elif label == "1":
                image[4:24, at:at + 3] = 255
            else:
                for i in range(4, 24):
                    image[i, i:i + 3] = 255
            images.append(image.astype(np.uint8))
            labels.append(label)
    return Labelled(labels, np.stack(images))


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()
