import pytest
import torch

from engine.config import ModelConfig, SampleConfig
from engine.data.tokenizer import Vocab
from engine.generate.sampler import Sampler, Stepper, choose
from engine.kinds import kind_named
from engine.loading import load_model
from engine.nn.model import LanguageModel
from engine.train import job
from engine.train.assemble import open_trainer


@pytest.mark.parametrize("cell, tied", [("lstm", False), ("gru", False), ("rnn", False),
                                        ("lstm", True)])
def test_stepper_matches_the_model(cell, tied):
    """The hand-written step gives the same logits as nn.LSTM/GRU/RNN over the sequence
    (tied: the head reads the embedding, behind a projection from 32 units down to 16)."""
    torch.manual_seed(0)
    config = ModelConfig(vocab_size=30, cell=cell, layers=3, hidden=32, embed=16,
                         tie_weights=tied)
    model = LanguageModel(config).eval()
    assert (model.project is not None) == tied
    from engine.config import count_parameters

    assert count_parameters(config) == model.num_parameters()
    ids = torch.randint(0, 30, (1, 25))
    with torch.no_grad():
        full, _ = model(ids)
        stepper, state = Stepper(model), None
        state = stepper.zero_state()
        stepped = torch.stack([stepper.step(int(t), state) for t in ids[0]])
    assert torch.allclose(stepped, full[0], atol=1e-5)


def random_sampler(kind="stream"):
    torch.manual_seed(1)
    kind = kind_named(kind)
    vocab = Vocab.build(["abcdefghij \n"], "char", kind.specials())
    model = LanguageModel(ModelConfig(vocab_size=len(vocab), layers=1, hidden=16)).eval()
    return Sampler(model, vocab, kind)


def test_greedy_is_deterministic():
    sampler = random_sampler()
    config = SampleConfig(length=50, greedy=True)
    assert sampler.text("abc", config) == sampler.text("abc", config)


def test_seed_reproduces_and_differs_across_seeds():
    sampler = random_sampler()
    a = sampler.text("a", SampleConfig(length=80, temperature=1.5, seed=7))
    b = sampler.text("a", SampleConfig(length=80, temperature=1.5, seed=7))
    c = sampler.text("a", SampleConfig(length=80, temperature=1.5, seed=8))
    assert a == b and a != c and len(a) == 80


def test_top_k_never_leaves_the_top_k():
    gen = torch.Generator().manual_seed(0)
    for trial in range(300):
        logits = torch.randn(50, generator=gen) * 3
        top = set(torch.topk(logits, 5).indices.tolist())
        token = choose(logits, SampleConfig(top_k=5, temperature=2.0), gen)
        assert token in top, trial


def test_top_p_keeps_only_the_nucleus():
    gen = torch.Generator().manual_seed(0)
    logits = torch.log(torch.tensor([0.5, 0.3, 0.15, 0.05]))
    seen = {choose(logits, SampleConfig(top_p=0.7, temperature=1.0), gen) for _ in range(400)}
    assert seen == {0, 1}
    # A tiny p still leaves the single most likely token.
    assert {choose(logits, SampleConfig(top_p=0.01), gen) for _ in range(50)} == {0}


def test_stream_yields_token_by_token_and_stops():
    sampler = random_sampler()
    pieces = list(sampler.stream("ab", SampleConfig(length=30, seed=3)))
    assert len(pieces) == 30 and all(len(p) == 1 for p in pieces)
    stopped = "".join(sampler.stream("ab", SampleConfig(length=500, seed=3, temperature=2,
                                                         stop="j")))
    assert stopped.endswith("j") and stopped.count("j") == 1


def test_unknown_prime_is_reported_not_fatal():
    sampler = random_sampler()
    prime = sampler.prime("abz文")
    assert prime.notice and "'z'" in prime.notice and "'文'" in prime.notice
    assert len(sampler.text(prime, SampleConfig(length=5, seed=1))) == 5


def test_unknown_word_in_prime_maps_to_unk(pattern_file):
    model_dir = job.create_model(str(pattern_file), name="w", level="word", layers=1,
                                 hidden=8, steps=2)
    open_trainer(model_dir).run(lambda e: None)
    sampler = load_model("w").sampler()
    prime = sampler.prime("the zebra sat")
    assert "'zebra'" in prime.notice and "<unk>" in prime.notice
    assert prime.ids[1] == sampler.vocab.unk_id
    assert len(list(sampler.stream(prime, SampleConfig(length=10, seed=0)))) == 10


def test_records_model_stops_at_eos(names_file):
    model_dir = job.create_model(str(names_file), name="n", layers=1, hidden=32, batch=16,
                                 lr=1e-2, steps=200, warmup=10, precision="fp32")
    open_trainer(model_dir).run(lambda e: None)
    sampler = load_model("n").sampler()
    names = [sampler.text("", SampleConfig(length=40, seed=s)) for s in range(10)]
    assert all(0 < len(n) < 40 for n in names), names  # each ended at <eos>, well before 40


def test_items_differ_and_one_seed_reproduces_the_list():
    """One generator for the whole list: successive items differ, a seed repeats them all."""
    sampler = random_sampler("records")
    config = SampleConfig(length=40, temperature=1.5, seed=11)
    first = ["".join(item) for item in sampler.items("", config, 6)]
    again = ["".join(item) for item in sampler.items("", config, 6)]
    assert first == again
    assert len(set(first)) == len(first)


def test_no_prime_never_starts_with_whitespace():
    """Greedy from no prime used to print a line of spaces: text starts at a word."""
    sampler = random_sampler()
    space = sampler.vocab.id_of(" ")
    sampler.stepper.head_b[space] += 100.0  # a model that all but always says " "
    text = sampler.text("", SampleConfig(length=5, greedy=True))
    assert text and not text[0].isspace()
    assert sampler.text("a", SampleConfig(length=3, greedy=True)) == "   "  # a prime: as is


def test_novelty_counts_what_was_never_in_the_training_text():
    from engine.generate.novelty import novel_items, novel_ngrams

    assert novel_items(["anna", "zed", "bob", "qux"], ["anna", "bob"]) == 0.5
    assert novel_ngrams("the cat sat", "the cat sat on the mat", "char") == 0.0
    assert novel_ngrams("zzzzzzzzzz", "the cat sat on the mat", "char") == 1.0
    assert novel_ngrams("the cat sat on a hat", "the cat sat on the mat", "word") == 2 / 3
