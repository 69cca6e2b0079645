"""A model's loss on held-out text: the trainer's validation and `poetui eval` on any file.

Both score batches that the corpus kind makes (streams carry state across windows; records are
scored from <bos> to <eos>), so a figure from one is the same figure as from the other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path

import torch
import torch.nn.functional as F

from engine.corpus import read_text_file
from engine.data.batching import IGNORE
from engine.data.recipes import apply as apply_recipe
from engine.errors import PoetuiError
from engine.kinds import Kind
from engine.loading import load_model
from engine.nn.device import autocast, pick_device, resolve_precision


def validation_loss(model: torch.nn.Module, kind: Kind, batches: Iterable,
                    device: torch.device, precision: str,
                    interrupted: Callable[[], bool] | None = None,
                    scored: Callable[[int], None] | None = None) -> tuple[float, int] | None:
    """(mean nats per token, tokens) over evaluation batches; carried state where they say so.

    ``interrupted`` is asked between batches (a training run takes its commands there, so a
    pause or stop never waits for a whole evaluation); None when it said yes. ``scored`` hears
    the tokens scored so far after each batch (a progress bar)."""
    was_training = model.training
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        state = None
        for b in batches:
            if interrupted is not None and interrupted():
                model.train(was_training)
                return None
            state = state if b.carry else None
            with autocast(device, precision):
                logits, state = kind.forward(model, b, state, device)
            loss = F.cross_entropy(logits.float().flatten(0, 1), b.y.to(device).flatten(),
                                   ignore_index=IGNORE, reduction="sum")
            total += float(loss)
            count += b.tokens
            if scored is not None:
                scored(count)
    model.train(was_training)
    return total / max(count, 1), count


def evaluate_file(name: str, path: str | Path, device: str = "auto",
                  precision: str = "fp32", beam: int = 0,
                  progress: Callable[[str, float], None] | None = None) -> dict:
    """Loss in nats per token (mean and total), bits per token, perplexity, and how many tokens
    fell outside the vocabulary. Records models read one record per line, <eos> included;
    translation models also report chrF, BLEU and exact match (greedy, or a beam of ``beam``).
    ``progress`` hears (what is being done, the share of it done) as it goes."""
    loaded = load_model(name)
    vocab, kind = loaded.vocab, loaded.kind
    if kind.classifies:
        return evaluate_classifier(loaded, path, device, precision)
    # The model's recipe reads the file as it read its corpus (e.g. the Tang filters).
    data = kind.parse(apply_recipe(loaded.folder.recipe, read_text_file(Path(path))))
    # Out-of-vocabulary pieces are counted in what the model reads: for a records model, the
    # line breaks between records are boundaries, not characters it should know.
    pieces = oov = 0
    for text in kind.texts(data):
        for piece in vocab.pieces(text):
            pieces += 1
            oov += piece not in vocab.index
    ids = kind.encode(vocab, data)
    if not kind.enough_to_score(ids):
        raise PoetuiError(f"{path} has too little text this model can read to measure a loss.")
    dev = pick_device(device)
    model = loaded.model.to(dev)
    # The tokens to score are about the pieces read (one more per record for its <eos>).
    expected = max(pieces, 1)
    report = progress or (lambda what, share: None)
    loss, tokens = validation_loss(model, kind, kind.eval_batches(ids, vocab), dev,
                                   resolve_precision(precision, dev),
                                   scored=lambda n: report("scoring", min(n / expected, 1.0))
                                   )  # type: ignore[misc]
    if kind.translates:
        report(f"translating {len(ids):,} sentences", 0.0)
    per_item = {"items": len(ids), "loss_per_item": loss * tokens / len(ids)} \
        if kind.itemised else {}  # names, poems: what one whole item costs, <eos> included
    return {
        **kind.quality(model, vocab, ids, beam),
        **per_item,
        "model": name,
        "file": str(path),
        "loss": loss,
        "total_loss": loss * tokens,
        "tokens": tokens,
        "bits_per_token": loss / math.log(2),
        "perplexity": math.exp(min(loss, 50)),
        "oov": oov,
    }


def evaluate_classifier(loaded, path: str | Path, device: str = "auto",
                        precision: str = "fp32") -> dict:
    """A classifier on a labelled file (a digits CSV or IDX file, or `label<TAB>text` lines):
    accuracy, accuracy per class, the confusion matrix (rows: true class), and the loss."""
    from engine.data.labelled import labelled_images, parse_labelled_text

    path = Path(path)
    vocab, kind = loaded.vocab, loaded.kind
    reads_images = bool(loaded.model.config.inputs)
    data = labelled_images(path)
    if reads_images and data is None:
        raise PoetuiError(f"{path} is not a digits CSV (label,pixel0,…,pixel783) or an IDX "
                          "images file; this model reads 28×28 images.")
    if not reads_images:
        if data is not None:
            raise PoetuiError(f"{path} holds images, but model '{loaded.name}' reads texts; "
                              "give `label<TAB>text` lines.")
        data = parse_labelled_text(read_text_file(path), str(path))
    ids = kind.encode(vocab, data)
    dev = pick_device(device)
    model = loaded.model.to(dev)
    result = validation_loss(model, kind, kind.eval_batches(ids, vocab), dev,
                             resolve_precision(precision, dev))
    assert result is not None  # nothing interrupts it
    loss, count = result
    return {"model": loaded.name, "file": str(path), "examples": count, "loss": loss,
            **kind.quality(model, vocab, ids)}
