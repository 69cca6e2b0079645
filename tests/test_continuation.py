"""Continuing a model on new text (`poetui train NEWTEXT --from MODEL --name NEW`)."""

import json

import pytest
import torch

from engine.errors import PoetuiError
from engine.loading import load_model
from engine.storage import store
from engine.train import job
from engine.train.assemble import open_trainer
from engine.train.continuation import continue_model
from tui.cli.main import main

# A small char model, trained briefly on Tiny Shakespeare: settings the test repeats from
# scratch so the two differ only in where they start.
SHAPE = dict(cell="lstm", layers=1, hidden=64, dropout=0.0)
RUN = dict(batch=16, seq_len=64, lr=5e-3, warmup=10, precision="fp32", threads=1,
           average=0.0, schedule="constant")


def _trained(path, name, steps, **extra):
    model_dir = job.create_model(str(path), name, **SHAPE, **RUN, steps=steps, **extra)
    return open_trainer(model_dir).run(lambda e: None)


@pytest.fixture
def texts(shared_data, tmp_path):
    """200,000 characters of Tiny Shakespeare, and modern English sentences (the English side
    of the Tatoeba pairs) with characters Tiny Shakespeare lacks: digits, ", ’."""
    old = tmp_path / "shakespeare.txt"
    old.write_text((shared_data / "tinyshakespeare.txt").read_text()[:200_000])
    lines = [line.split("\t")[0] for line in
             (shared_data / "fra_eng.txt").read_text(encoding="utf-8").splitlines()]
    new = tmp_path / "sentences.txt"
    new.write_text("\n".join(lines[:6000]) + "\n", encoding="utf-8")
    return old, new


def test_continued_model_predicts_as_before_then_beats_scratch(texts):
    old_text, new_text = texts
    _trained(old_text, "bard", 300)
    path = continue_model(str(new_text), "bard", "bard-on-sentences", steps=60)
    folder = store.open_model("bard-on-sentences")
    old_vocab, new_vocab = store.open_model("bard").vocab(), folder.vocab()
    added = new_vocab.tokens[len(old_vocab):]
    assert {"0", "1", "’"} <= set(added)  # the new characters were added
    assert new_vocab.tokens[:len(old_vocab)] == old_vocab.tokens  # old ids kept
    assert folder.origin["model"] == "bard" and folder.origin["step"] == 300

    # Before the first step: on old text, the same distribution over the old tokens.
    old = load_model("bard").model
    trainer = open_trainer(path)
    assert trainer.step == 0
    grown = trainer.model.eval()
    ids = torch.tensor([old_vocab.encode(old_text.read_text()[:2000])])
    with torch.no_grad():
        before = torch.log_softmax(old(ids)[0], -1)
        after = torch.log_softmax(grown(ids)[0], -1)
    assert after.shape[-1] == len(new_vocab)
    assert (before.argmax(-1) == after[..., :len(old_vocab)].argmax(-1)).all()
    # Within float32 rounding of a log-probability (the new tokens hold < 1e-7 of it).
    assert (before - after[..., :len(old_vocab)]).abs().max() < 2e-5
    assert after[..., len(old_vocab):].exp().sum(-1).max() < 1e-6

    # The same 60 steps on the new text: from Shakespeare, or from scratch.
    grown.train()
    continued = trainer.run(lambda e: None)
    scratch = _trained(new_text, "scratch", 60)
    assert continued.val_loss < scratch.val_loss - 0.2, (continued, scratch)


def test_card_and_refusals(texts, capsys):
    old_text, new_text = texts
    _trained(old_text, "tiny-bard", 5)
    assert main(["train", str(new_text), "--from", "tiny-bard", "--name", "frozen", "--steps",
                 "3", "--freeze-embeddings", "--lr", "1e-3"]) == 0
    capsys.readouterr()
    assert main(["models", "info", "frozen", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["origin"]["model"] == "tiny-bard"
    assert info["train"]["freeze_embeddings"] is True and info["train"]["lr"] == 1e-3
    assert main(["models", "info", "frozen"]) == 0
    assert "tiny-bard at step 5" in capsys.readouterr().out
    # Frozen: the old tokens' embedding rows are where they started.
    trained = load_model("frozen", "latest").model.embedding.weight
    start = load_model("tiny-bard").model.embedding.weight
    assert torch.equal(trained[: len(start)], start)

    for argv, words in (
        (["--from", "tiny-bard", "--name", "x", "--hidden", "32"], "--hidden cannot change"),
        (["--from", "nobody", "--name", "x"], "no model named 'nobody'"),
        (["--from", "tiny-bard", "--name", "frozen"], "already exists"),
        (["--from", "tiny-bard", "--preset", "tiny"], "--preset cannot go with --from"),
    ):
        assert main(["train", str(new_text), *argv]) == 1
        assert words in capsys.readouterr().err
    assert not store.model_path("x").exists()


def test_an_untrained_model_cannot_be_continued(texts):
    job.create_model(str(texts[0]), "blank", **SHAPE, **RUN, steps=5)
    with pytest.raises(PoetuiError, match="no saved weights"):
        continue_model(str(texts[1]), "blank", "more")
