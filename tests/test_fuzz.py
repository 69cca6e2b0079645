"""Random input through every door a user can open: tokenisers, the corpus loader, primes,
model names and the settings the CLI passes on. Each outcome is a result or one clear
sentence (a PoetuiError) — never an exception nobody meant."""

from __future__ import annotations

import math
import uuid

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import paths
from engine.config import ModelConfig, SampleConfig, TrainConfig
from engine.corpus import load_corpus
from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError
from engine.generate.sampler import Sampler
from engine.kinds import StreamKind, kind_named
from engine.nn.model import LanguageModel
from engine.storage import store
from engine.train.job import check_memory
from tui.cli.main import _check_utf8

FUZZ = settings(max_examples=80, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
# Text as argv delivers it: any code point, undecodable bytes as lone surrogates.
TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)
NUMBER = st.one_of(st.integers(-2**70, 2**70), st.floats(allow_nan=True, allow_infinity=True))


@FUZZ
@given(text=st.text(max_size=200), level=st.sampled_from(["char", "word"]))
def test_tokenisers_round_trip_or_map_to_unk(text, level):
    vocab = Vocab.build([text], level, kind_named("records").specials())
    ids = vocab.encode(text)
    assert all(0 <= i < len(vocab) for i in ids)
    if level == "char":
        assert vocab.decode(ids) == text
    Vocab.from_json(vocab.to_json()).encode(text + "never seen ☃")


@FUZZ
@given(data=st.binary(max_size=400))
def test_any_bytes_load_as_a_corpus_or_are_refused(tmp_path, data):
    path = tmp_path / f"{uuid.uuid4().hex}.txt"
    path.write_bytes(data)
    try:
        corpus = load_corpus(str(path))
    except PoetuiError as exc:
        assert str(exc).endswith(".") and "\n" not in str(exc)
        return
    assert corpus.text and "\r" not in corpus.text
    corpus.split()


@pytest.fixture(scope="module")
def sampler() -> Sampler:
    torch.manual_seed(0)
    vocab = Vocab.build(["abc de\nfg"], "char")
    return Sampler(LanguageModel(ModelConfig(len(vocab), layers=1, hidden=8)).eval(), vocab,
                   StreamKind())


@FUZZ
@given(prime=TEXT)
def test_any_prime_samples_or_is_refused(sampler, prime):
    try:
        _check_utf8("--prime", prime)
    except PoetuiError:
        return
    out = sampler.text(sampler.prime(prime), SampleConfig(length=5, seed=1))
    assert len(out) <= 5


@FUZZ
@given(name=TEXT)
def test_any_name_is_a_name_or_refused(name):
    try:
        store.validate_name(name)
    except PoetuiError:
        return
    assert store.model_path(name).parent == paths.models_dir()  # a name is never a path
    assert "\n" not in name and "/" not in name and name not in (".", "..")


@FUZZ
@given(minutes=NUMBER, steps=NUMBER, lr=NUMBER, seed=NUMBER, batch=NUMBER, hidden=NUMBER,
       layers=NUMBER)
def test_any_training_numbers_are_accepted_or_refused(minutes, steps, lr, seed, batch, hidden,
                                                      layers):
    try:
        train = TrainConfig(minutes=minutes, steps=steps, lr=lr, seed=seed, batch=batch)
        model = ModelConfig(100, hidden=hidden, layers=layers)
        check_memory(model, train)
    except PoetuiError:
        return
    except (ValueError, TypeError):
        return  # ModelConfig's own checks; job.plan turns them into "Bad model settings: …"
    assert train.lr > 0 and math.isfinite(train.lr) and train.batch >= 1
    assert isinstance(model.hidden, int) and model.hidden >= 1 and model.layers >= 1


@FUZZ
@given(temperature=NUMBER, top_p=NUMBER, top_k=NUMBER, seed=NUMBER)
def test_any_sampling_numbers_are_accepted_or_refused(temperature, top_p, top_k, seed):
    try:
        SampleConfig(temperature=temperature, top_p=top_p, top_k=top_k, seed=seed)
    except ValueError:
        return  # the CLI says "Bad sampling setting: …"
    assert temperature > 0 and math.isfinite(temperature)
