"""Regulated decoding: a small model trained here for seconds (it knows nothing of tones) writes
poems that the checker finds regulated, every time, with an acrostic and titles too; and the
CLI's --regulated, --no-title --prime and the cost of the mask."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
import torch

from engine.config import ModelConfig, SampleConfig
from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError
from engine.generate.forms import QuatrainForm, poem_part
from engine.generate.regulated import regulated_constraint
from engine.generate.sampler import Sampler
from engine.generate.verse import check
from engine.kinds import kind_named
from engine.nn.model import LanguageModel
from engine.train.job import create_model
from engine.train.worker import run_training
from tui.cli.main import main

# Level and oblique characters of several rhyme groups, and a few of both tones (看 思 過).
CHARS = "春山花風天江人來秋東紅中空同流樓舟愁月日水雨樹鳥落葉去看思過"


def tang_like(poems: int = 80, size: int = 5) -> str:
    rng = random.Random(11)

    def line() -> str:
        return "".join(rng.choices(CHARS, k=size))

    return "".join(f"{line()[:2]}:{line()}，{line()}。{line()}，{line()}。\n"
                   for _ in range(poems))


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("regulated")
    corpus = where / "poems.txt"
    corpus.write_text(tang_like() + tang_like(40, 7), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POETUI_HOME", str(where / "home"))
        path = create_model(str(corpus), name="verse", layers=1, hidden=32, steps=30,
                            eval_every=30, precision="fp32")
        run_training(path)
    return path


@pytest.fixture
def model(trained: Path, poetui_home: Path) -> str:
    shutil.copytree(trained, poetui_home / "models" / "verse")
    return "verse"


def test_regulated_decoding_always_passes_the_checker():
    torch.manual_seed(0)
    kind = kind_named("records")
    vocab = Vocab.build(tang_like(20).splitlines() + tang_like(10, 7).splitlines(), "char",
                        kind.specials())
    sampler = Sampler(LanguageModel(ModelConfig(len(vocab), layers=1, hidden=16)).eval(),
                      vocab, kind)
    config = SampleConfig(length=80, temperature=1.2, seed=2)
    free = [check("".join(p)) for p in sampler.items("", config, 20)]
    assert not any(v.regulated for v in free)  # left to itself, a random model never is
    for heads in ("", "春秋", "山水風月"):
        constraint = regulated_constraint(vocab, heads)
        verdicts = [check("".join(p)) for p in sampler.items("", config, 25, constraint)]
        assert all(v.regulated for v in verdicts), [v.poem for v in verdicts if not v.regulated]
        assert all(v.title for v in verdicts)  # titles still written
        assert all([line[0] for line in v.lines][: len(heads)] == list(heads) for v in verdicts)
        assert {v.shape.size for v in verdicts} == {5, 7}  # the first line chose its size
        assert len({v.pattern.name for v in verdicts}) >= 3
        assert 0.0 < sum(constraint.pruned) / len(constraint.pruned) < 1.0
    # A title is free of tones: the same choices as the plain form's, colon included.
    plain = QuatrainForm(vocab)
    assert list(regulated_constraint(vocab).allowed("山水")) == list(plain.allowed("山水"))
    assert vocab.index[":"] in plain.allowed("山水")  # the model may end its title


def test_eight_line_regulated_poems():
    kind = kind_named("records")
    vocab = Vocab.build(tang_like(20).splitlines(), "char", kind.specials())
    torch.manual_seed(1)
    sampler = Sampler(LanguageModel(ModelConfig(len(vocab), layers=1, hidden=16)).eval(),
                      vocab, kind)
    constraint = regulated_constraint(vocab)
    constraint.lines, constraint.size = 8, 5
    verdicts = [check("".join(p)) for p in
                sampler.items("", SampleConfig(length=100, seed=3), 8, constraint)]
    assert all(v.regulated and v.shape.lines == 8 for v in verdicts), verdicts


def printed(out: str) -> list[str]:
    """`poetui sample`'s poems, each as one record: it prints a poem as its title and four
    lines, poems a blank line apart."""
    return ["".join(poem.split("\n")) for poem in out.strip().split("\n\n")]


def test_sample_regulated_with_an_acrostic_from_the_cli(model, capsys):
    assert main(["sample", model, "--regulated", "--acrostic", "春秋", "--count", "12",
                 "--seed", "5", "--stats"]) == 0
    captured = capsys.readouterr()
    poems = printed(captured.out)
    assert len(poems) == 12
    for record in poems:
        verdict = check(record)
        assert verdict.regulated and verdict.title, record
        assert poem_part(record)[0] == "春"
    assert "the mask removed" in captured.err


def test_no_title_with_a_prime_shows_the_prime(model, capsys):
    assert main(["sample", model, "--no-title", "--prime", "春山", "--count", "3",
                 "--form", "--seed", "1"]) == 0
    poems = printed(capsys.readouterr().out)
    assert len(poems) == 3 and all(p.startswith("春山") and ":" not in p for p in poems), poems
    assert main(["sample", model, "--no-title", "--prime", "春:月", "--count", "2",
                 "--seed", "1", "--form"]) == 0
    poems = printed(capsys.readouterr().out)
    # Shown from past the colon.
    assert len(poems) == 2 and all(p.startswith("月") and ":" not in p for p in poems), poems


def test_regulated_is_refused_in_one_sentence_where_it_cannot_be(model, names_file, capsys):
    with pytest.raises(PoetuiError, match="never seen"):
        regulated_constraint(Vocab.build(["春:山"], "char", kind_named("records").specials()),
                             "龍")
    path = create_model(str(names_file), name="names", layers=1, hidden=16, steps=5,
                        eval_every=5, precision="fp32")
    run_training(path)
    assert main(["sample", "names", "--regulated"]) == 1
    assert capsys.readouterr().err == ("poetui: --regulated is for a model that writes Tang "
                                       "quatrains; 'names' does not (train one on tang-wujue "
                                       "or tang-qijue).\n")
