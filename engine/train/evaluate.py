"""A model's loss on held-out text: the trainer's validation and `poetui eval` on any file.

Both score batches that the corpus kind makes (streams carry state across windows; records are
scored from <bos> to <eos>), so a figure from one is the same figure as from the other.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Scored:
    """One token of a scored text: its surprisal in bits (None for a stream's first token,
    which nothing before it predicts)."""

    id: int
    token: str  # as the vocabulary holds it (<eos> ends a record)
    piece: str  # as text, spacing included
    surprisal: float | None


def score_text(name: str, text: str, device: str = "auto") -> list[Scored]:
    """Every token of ``text`` (read as ``poetui eval`` reads a file) with the surprisal the
    model gives it, in the text's order. They are scored in the evaluation's own batches,
    carried state and all, so their sum is the total loss ``evaluate_file`` reports (in bits
    rather than nats)."""
    loaded = load_model(name)
    vocab, kind = loaded.vocab, loaded.kind
    if kind.translates:
        raise PoetuiError(f"Model '{name}' translates; score its translations with "
                          f"`poetui eval {name} FILE`.")
    if kind.classifies:
        raise PoetuiError(f"Model '{name}' classifies; measure it with `poetui eval {name} "
                          "FILE` or read with `poetui classify`.")
    ids = kind.encode(vocab, kind.parse(apply_recipe(loaded.folder.recipe, text)))
    if not kind.enough_to_score(ids):
        raise PoetuiError("The text has too little this model can read to score.")
    dev = pick_device(device)
    model = loaded.model.to(dev)
    targets, losses = _in_text_order(model, kind, kind.score_batches(ids, vocab), dev)
    scored: list[Scored] = []
    previous: str | None = None

    def add(token: int, loss: float | None) -> None:
        nonlocal previous
        tok = vocab.tokens[token]
        # A record's <eos> is the end of its line in the file.
        piece = "\n" if token == vocab.eos_id else vocab.render(token, previous)
        scored.append(Scored(token, tok, piece, None if loss is None else loss / math.log(2)))
        if token == vocab.eos_id:  # a record ended: the next one starts afresh
            previous = None
        elif tok not in vocab.specials:
            previous = tok

    if not kind.itemised:  # a stream: its first token is read, not predicted
        add(int(ids[0]), None)
    for token, loss in zip(targets, losses, strict=True):
        add(token, loss)
    return scored


def _in_text_order(model, kind: Kind, batches: Iterable, device: torch.device
                   ) -> tuple[list[int], list[float]]:
    """(target ids, their losses in nats) of score batches, in the text's order: carried
    batches are joined along time, and each run of them read row by row."""
    targets: list[int] = []
    losses: list[float] = []
    run_y: list[torch.Tensor] = []
    run_loss: list[torch.Tensor] = []

    def close() -> None:
        if run_y:
            y, loss = torch.cat(run_y, 1).flatten(), torch.cat(run_loss, 1).flatten()
            keep = y != IGNORE
            targets.extend(y[keep].tolist())
            losses.extend(loss[keep].tolist())
            run_y.clear()
            run_loss.clear()

    with torch.inference_mode():
        state = None
        for b in batches:
            if not b.carry:
                close()
                state = None
            logits, state = kind.forward(model, b, state, device)
            y = b.y.to(device)
            loss = F.cross_entropy(logits.float().flatten(0, 1), y.flatten(),
                                   ignore_index=IGNORE, reduction="none").view(y.shape)
            run_y.append(y.cpu())
            run_loss.append(loss.double().cpu())
        close()
    return targets, losses
