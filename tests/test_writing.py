"""Writing with a model, engine and command line: the stepping API (one model step per token,
the distribution after each, batched branches), `<unk>` never written unless allowed,
`poetui sample --json` and `poetui score`."""

from __future__ import annotations

import json
import math
import os
import random
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.config import ModelConfig, SampleConfig
from engine.data.tokenizer import Vocab
from engine.generate.sampler import Sampler, seeded
from engine.kinds import kind_named
from engine.loading import load_model
from engine.nn.model import LanguageModel
from engine.train import job
from engine.train.assemble import open_trainer
from tui.cli.main import main


def random_sampler(cell: str = "lstm") -> Sampler:
    torch.manual_seed(2)
    kind = kind_named("stream")
    vocab = Vocab.build(["abcdefghij \n"], "char", kind.specials())
    model = LanguageModel(ModelConfig(vocab_size=len(vocab), cell=cell, layers=2,
                                      hidden=24)).eval()
    return Sampler(model, vocab, kind)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_a_position_steps_once_per_token_and_forks(cell: str) -> None:
    sampler = random_sampler(cell)
    config = SampleConfig(length=30, greedy=True)
    position = sampler.begin("abc")
    text = ""
    for _ in range(30):
        w = position.draw(config, seeded(config), alternatives=10)
        assert w.alternatives[0].id == w.id  # greedy takes the likeliest
        assert len(w.alternatives) == 10 and w.probability == w.alternatives[0].probability
        probs = [a.probability for a in w.alternatives]
        assert probs == sorted(probs, reverse=True)
        text += w.piece
        position.feed(w.id)
    assert position.steps == 30  # one model step per token, never the prefix again
    assert text == sampler.text("abc", config)  # the same as streaming
    fork = sampler.begin("abc")
    other = fork.copy()
    fork.feed(sampler.vocab.id_of("d"))
    assert not np.allclose(fork.logits, other.logits)  # a copy has its own state
    assert np.allclose(other.probabilities().sum(), 1.0)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_branches_in_one_pass_match_single_streams(cell: str) -> None:
    """N continuations fed through the model together (a batch kernel's products) are the N
    single ones (numpy's)."""
    sampler = random_sampler(cell)
    config = SampleConfig(length=25, temperature=1.0)
    start = sampler.begin("ab")
    branches = sampler.branches(start, 4, config, seeded(SampleConfig(seed=5)), alternatives=3)
    assert len({"".join(w.piece for w in ws) for ws, _ in branches}) > 1  # they differ
    for written, end in branches:
        single = start.copy()
        for w in written:
            alone = single.written(w.id, config, alternatives=3)
            assert alone.probability == pytest.approx(w.probability, rel=1e-4)
            assert [a.id for a in alone.alternatives] == [a.id for a in w.alternatives]
            single.feed(w.id)
        assert np.allclose(single.logits, end.logits, atol=1e-4)  # the end is where it stood


def test_a_forked_child_writes_branches_after_its_parent_did() -> None:
    """Batches run on the process's model thread; a child forked after the parent used it
    gets a thread of its own instead of waiting on one that fork did not copy."""
    sampler = random_sampler()
    config = SampleConfig(length=5, temperature=1.0)
    start = sampler.begin("ab")
    assert len(sampler.branches(start, 2, config, seeded(config))) == 2
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if its branches came back
        try:
            ok = len(sampler.branches(start, 2, config, seeded(config))) == 2
        finally:
            os._exit(0 if ok else 1)
    deadline = time.monotonic() + 20
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert done[0] == pid and os.waitstatus_to_exitcode(done[1]) == 0


# -- <unk> --------------------------------------------------------------------------------------

@pytest.fixture
def rare_words(tmp_path: Path) -> str:
    """A word model whose corpus is a third <unk>: each line ends in a word seen once."""
    rng = random.Random(0)
    lines = [f"the cat sat on the {''.join(rng.choices('bcdfghklmnprstvz', k=6))} ."
             for _ in range(300)]
    path = tmp_path / "rare.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    model = job.create_model(str(path), name="rare", level="word", min_freq=2, layers=1,
                             hidden=32, steps=120, lr=1e-2, batch=8, seq_len=16,
                             precision="fp32")
    open_trainer(model).run(lambda event: None)
    return "rare"


def test_greedy_word_model_never_writes_unk(rare_words: str, capsys) -> None:
    assert main(["sample", rare_words, "--greedy", "--prime", "the cat sat on the",
                 "--length", "40", "--allow-unk"]) == 0
    allowed = capsys.readouterr().out
    assert "<unk>" in allowed  # the model's likeliest word there is <unk> …
    assert main(["sample", rare_words, "--greedy", "--prime", "the cat sat on the",
                 "--length", "40"]) == 0
    assert "<unk>" not in capsys.readouterr().out  # … which it is not let write
    # A prime's unknown word is still read as <unk>, and said so.
    assert main(["sample", rare_words, "--greedy", "--prime", "the zebra", "--length", "5"]) == 0
    assert "'zebra'" in capsys.readouterr().err
    sampler = load_model(rare_words).sampler()
    assert sampler.prime("the zebra").ids[-1] == sampler.vocab.unk_id



def test_greedy_shakespeare_words_writes_no_unk_unless_allowed(shared_data: Path,
                                                               capsys) -> None:
    """The preset itself, on Tiny Shakespeare, where <unk> stands for about a seventh of the
    text: let write it, greedy decoding falls into `<unk> <unk> <unk>…`; by default it never
    writes one. (30 steps, without the weight average: over so few steps the average would
    still be mostly the untrained weights.)"""
    model = job.create_model(str(shared_data / "tinyshakespeare.txt"), name="sw",
                             preset="shakespeare-words", steps=30, average=0.0,
                             eval_every=30, precision="fp32")
    open_trainer(model).run(lambda event: None)
    args = ["sample", "sw", "--greedy", "--prime", "the king", "--length", "60"]
    assert main([*args, "--allow-unk"]) == 0
    allowed = capsys.readouterr().out.split()
    assert allowed.count("<unk>") > 10  # the loop the mask is there for
    assert main(args) == 0
    written = capsys.readouterr().out.split()
    assert len(written) > 40 and "<unk>" not in written

# -- sample --json and score --------------------------------------------------------------------

@pytest.fixture
def chars(pattern_file: Path) -> str:
    model = job.create_model(str(pattern_file), name="chars", preset="tiny", steps=40,
                             precision="fp32")
    open_trainer(model).run(lambda event: None)
    return "chars"


def test_sample_json_is_one_object_per_token(chars: str, capsys) -> None:
    assert main(["sample", chars, "--json", "--length", "12", "--seed", "1",
                 "--prime", "the "]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 12
    vocab = load_model(chars).vocab
    for token in lines:
        assert vocab.tokens[token["id"]] == token["token"]
        assert 0 < token["probability"] <= 1
        alternatives = token["alternatives"]
        assert len(alternatives) == 5
        assert [a["probability"] for a in alternatives] == sorted(
            (a["probability"] for a in alternatives), reverse=True)
        if token["id"] in [a["id"] for a in alternatives]:
            listed = next(a for a in alternatives if a["id"] == token["id"])
            assert listed["probability"] == token["probability"]


def test_score_sums_to_the_total_loss_of_eval(chars: str, tmp_path: Path, capsys) -> None:
    path = tmp_path / "held-out.txt"
    path.write_text("the mat sat on the cat. " * 30 + "a cat.", encoding="utf-8")
    assert main(["score", chars, "--file", str(path), "--json"]) == 0
    tokens = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert "".join(t["piece"] for t in tokens) == path.read_text()
    assert tokens[0]["surprisal"] is None  # nothing comes before the first to predict it
    assert main(["eval", chars, str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    bits = sum(t["surprisal"] for t in tokens[1:])
    assert len(tokens) - 1 == report["tokens"]
    assert bits * math.log(2) == pytest.approx(report["total_loss"], rel=1e-5)
    # Text as an argument, scored the same way; the summary goes to stderr.
    assert main(["score", chars, "the cat"]) == 0
    out = capsys.readouterr()
    assert out.out == "the cat\n" and "bits per token" in out.err


def test_score_of_records_sums_to_eval(names_file: Path, tmp_path: Path, capsys) -> None:
    model = job.create_model(str(names_file), name="names", layers=1, hidden=16, steps=20,
                             precision="fp32")
    open_trainer(model).run(lambda event: None)
    path = tmp_path / "names.txt"
    path.write_text("anna\nzora\nbo\n", encoding="utf-8")
    assert main(["score", "names", "--file", str(path), "--json"]) == 0
    tokens = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [t["token"] for t in tokens].count("<eos>") == 3  # each record's end is scored
    assert main(["eval", "names", str(path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    bits = sum(t["surprisal"] for t in tokens)
    assert bits * math.log(2) == pytest.approx(report["total_loss"], rel=1e-5)


def test_score_refuses_both_a_text_and_a_file(chars: str, tmp_path: Path, capsys) -> None:
    assert main(["score", chars, "x", "--file", str(tmp_path / "f.txt")]) == 1
    assert capsys.readouterr().err == "poetui: Give the text or --file, not both.\n"


def test_positions_and_branches_on_the_device_stepper() -> None:
    """The GPU's stepper (PyTorch on the model's device, here the CPU) forks and batches as
    the numpy one does: the same greedy branches from the same position."""
    from engine.generate.device_stepper import DeviceStepper

    numpy_sampler = random_sampler()
    torch.manual_seed(2)
    kind = kind_named("stream")
    vocab = numpy_sampler.vocab
    model = LanguageModel(ModelConfig(vocab_size=len(vocab), layers=2, hidden=24)).eval()
    device_sampler = Sampler(model, vocab, kind)
    device_sampler.stepper = DeviceStepper(model)
    config = SampleConfig(length=20, greedy=True)
    texts = []
    for sampler in (numpy_sampler, device_sampler):
        start = sampler.begin("ab")
        fork = start.copy()
        fork.feed(vocab.id_of("c"))
        branches = sampler.branches(fork, 3, config, seeded(config))
        texts.append(["".join(w.piece for w in ws) for ws, _ in branches])
        again = branches[0][1].copy()  # an end position continues
        again.feed(vocab.id_of("a"))
    assert texts[0] == texts[1] and len(set(texts[0])) == 1
