"""A stored model's loss on any text file, tokenised the model's way."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from engine.corpus import Corpus, read_text_file
from engine.device import pick_device, resolve_precision
from engine.errors import PoetuiError
from engine.loading import load_model
from engine.trainer import validation_loss


def evaluate_file(name: str, path: str | Path, device: str = "auto",
                  precision: str = "fp32") -> dict:
    """Loss in nats per token (mean and total), bits per token, perplexity, and how many tokens
    fell outside the vocabulary. Records models read one record per line, <eos> included."""
    loaded = load_model(name)
    text = read_text_file(Path(path))
    vocab, kind = loaded.vocab, loaded.kind
    corpus = Corpus(str(path), kind, text, str(path))
    pieces = vocab.pieces(text)
    oov = sum(1 for p in pieces if p not in vocab.index)
    if kind == "stream":
        data = vocab.encode_array(text)
    else:
        data = [vocab.encode_array(r) for r in corpus.records]
    dev = pick_device(device)
    prec = resolve_precision(precision, dev)
    model = loaded.model.to(dev)
    if (kind == "stream" and len(data) < 2) or (kind != "stream" and not data):
        raise PoetuiError(f"{path} has too little text this model can read to measure a loss.")
    with torch.inference_mode():
        loss, tokens = validation_loss(model, data, vocab, kind, dev, prec)
    return {
        "model": name,
        "file": str(path),
        "loss": loss,
        "total_loss": loss * tokens,
        "tokens": tokens,
        "bits_per_token": loss / math.log(2),
        "perplexity": math.exp(min(loss, 50)),
        "oov": oov,
    }
