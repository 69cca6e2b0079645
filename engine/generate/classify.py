"""Reading with a classifier: the class probabilities of images or texts, and how they change
as the model reads an image row by row (the desk's canvas shows the decision form)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from engine.data.labelled import Examples, Labelled, labelled_images, parse_labelled_text
from engine.data.textfile import read_text_file
from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError


class Classifier:
    def __init__(self, model: torch.nn.Module, vocab: Vocab, kind) -> None:
        self.model, self.vocab, self.kind = model.eval(), vocab, kind
        self.classes = list(vocab.classes)
        self.reads_images = bool(model.config.inputs)

    def probabilities(self, examples: list) -> np.ndarray:
        """(N, C): for each image ((28, 28) pixels 0–255) or text, each class's probability."""
        if not examples:
            return np.zeros((0, len(self.classes)))
        return self.kind.predict(self.model, self.vocab, self._examples(examples))

    def _examples(self, examples: list) -> Examples:
        targets = np.zeros(len(examples), dtype=np.int64)
        if self.reads_images:
            images = np.stack([np.asarray(e, dtype=np.uint8) for e in examples])
            return Examples(targets, images=images)
        if not all(isinstance(e, str) for e in examples):
            raise PoetuiError("This model reads texts; give text, not images.")
        return Examples(targets, ids=[self.vocab.encode_array(e) for e in examples])

    def after_each_row(self, image: np.ndarray) -> np.ndarray:
        """(rows, C): the class probabilities after the model has read rows 0…r of ``image``
        — the first row alone, then two, and so on to the whole image."""
        image = np.asarray(image, dtype=np.float32) / 255.0
        rows = len(image)
        # Every prefix at once: prefix r is the image's first r + 1 rows, padded with blank
        # rows that a length cuts off (the classifier reads a prefix's last real row).
        x = torch.from_numpy(np.repeat(image[None], rows, axis=0))
        lengths = torch.arange(1, rows + 1)
        with torch.inference_mode():
            device = next(self.model.parameters()).device
            logits = self.model(x.to(device), lengths)
        return torch.softmax(logits.float(), -1).cpu().numpy()

    def top(self, probabilities: np.ndarray, k: int) -> list[tuple[str, float]]:
        """The ``k`` likeliest classes, likeliest first, with their probabilities."""
        order = np.argsort(-probabilities, kind="stable")[:k]
        return [(self.classes[i], float(probabilities[i])) for i in order]

    def unknown(self, text: str) -> list[str]:
        return self.vocab.unknown(text) if not self.reads_images else []


def read_inputs(path: Path, reads_images: bool) -> tuple[list, list[str] | None]:
    """(examples, their labels or None) of a file to classify: images (a digits CSV or an IDX
    file with its labels) for an image model; for a text model, `label<TAB>text` lines, or
    plain lines of text with no labels."""
    path = Path(path)
    images = labelled_images(path)
    if reads_images:
        if images is None:
            raise PoetuiError(f"{path} is not a digits CSV (label,pixel0,…,pixel783) or an "
                              "IDX images file; this model reads 28×28 images.")
        return list(images.images), images.labels
    if images is not None:
        raise PoetuiError(f"{path} holds images, but this model reads texts; give text, one "
                          "per line.")
    return lines_to_classify(read_text_file(path), str(path))


def lines_to_classify(text: str, where: str) -> tuple[list[str], list[str] | None]:
    lines = [line for line in text.split("\n") if line.strip()]
    if lines and all("\t" in line for line in lines):
        labelled: Labelled = parse_labelled_text(text, where)
        return labelled.texts or [], labelled.labels
    return [line.strip() for line in lines], None


def held_out(folder) -> Labelled:
    """The held-out part of a classifier's corpus as it trained (never trained on): what the
    desk lets a person browse. Raises PoetuiError when the corpus is no longer there."""
    return folder.corpus_as_trained().split()[1]
