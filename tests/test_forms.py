"""Tang quatrains: the form check, and decoding that keeps to the form and the acrostic by
construction (a random model writes them too when constrained)."""

from __future__ import annotations

import pytest
import torch

from engine.config import ModelConfig, SampleConfig
from engine.data.recipes import apply
from engine.data.tokenizer import Vocab
from engine.errors import PoetuiError
from engine.generate.forms import QuatrainForm, poem_part, well_formed
from engine.generate.sampler import Sampler
from engine.kinds import kind_named
from engine.nn.model import LanguageModel

POEM = "白日依山盡，黃河入海流。欲窮千里目，更上一層樓。"


def test_the_form_check():
    assert well_formed(POEM)
    assert not well_formed(POEM[:-1] + "，")  # 。 after lines 2 and 4
    assert not well_formed("白日依山，黃河入海流。欲窮千里目，更上一層樓。")  # four characters
    assert not well_formed(POEM + POEM)
    assert poem_part("登鸛雀樓:" + POEM) == POEM


def test_the_tang_recipe_keeps_the_generators_poems():
    text = "\n".join(["登樓:" + POEM, "壞:白日（依山盡", "短:白日", "無題", "長:" + "白" * 80])
    assert apply("tang-poems", text) == "登樓:" + POEM + "\n"


@pytest.fixture
def tang_sampler() -> Sampler:
    torch.manual_seed(0)
    kind = kind_named("records")
    spring = "春曉:春眠不覺曉，處處聞啼鳥。夜來風雨聲，花落知多少。"
    vocab = Vocab.build(["登鸛雀樓:" + POEM, spring], "char", kind.specials())
    model = LanguageModel(ModelConfig(len(vocab), layers=1, hidden=16)).eval()
    return Sampler(model, vocab, kind)


def test_a_random_model_keeps_the_form_and_the_acrostic_when_asked(tang_sampler):
    vocab = tang_sampler.vocab
    config = SampleConfig(length=80, temperature=1.5, seed=4)
    free = ["".join(p) for p in tang_sampler.items("", config, 10)]
    assert not all(well_formed(poem_part(p)) for p in free)  # unconstrained: random
    form = QuatrainForm(vocab, "白黃欲更", titled=True, size=5)
    poems = [poem_part("".join(p)) for p in tang_sampler.items("", config, 10, form)]
    assert all(well_formed(p) for p in poems), poems
    assert all([p[0], p[6], p[12], p[18]] == list("白黃欲更") for p in poems)
    acrostic_only = QuatrainForm(vocab, "春花", titled=True, form=False)
    for p in tang_sampler.items("", config, 5, acrostic_only):
        poem = poem_part("".join(p))
        assert poem.startswith("春")
        if "，" in poem[1:] or "。" in poem[1:]:
            cut = min(i for i, ch in enumerate(poem) if ch in "，。")
            assert poem[cut + 1 : cut + 2] in ("花", "")
        assert ":" not in poem  # one title only: a second colon is never written


def test_an_acrostic_the_model_cannot_write_is_one_sentence(tang_sampler):
    with pytest.raises(PoetuiError, match="never seen"):
        QuatrainForm(tang_sampler.vocab, "龍")
    with pytest.raises(PoetuiError, match="up to 4"):
        QuatrainForm(tang_sampler.vocab, "白黃欲更白")


def test_the_desk_asks_the_engine_what_a_model_can_do(tang_sampler):
    from engine.generate.forms import quatrain_constraint, writes_quatrains, writes_titles

    vocab = tang_sampler.vocab
    assert writes_quatrains(vocab, kind_named("records")) and writes_titles(vocab)
    assert not writes_quatrains(vocab, kind_named("stream"))  # prose, not poems
    names = Vocab.build(["anna", "bob"], "char", kind_named("records").specials())
    assert not writes_quatrains(names, kind_named("records"))
    assert quatrain_constraint(vocab) is None  # nothing asked: the model writes freely
    assert quatrain_constraint(vocab, "白", form=False).form is False
    constraint = quatrain_constraint(vocab, form=True)
    assert constraint.titled and constraint.form and constraint.heads == ""
    with pytest.raises(PoetuiError, match="never seen"):
        quatrain_constraint(vocab, "龍")


@pytest.mark.parametrize("pieces, shown", [
    (["登", "樓", ":", "白", "日"], "白日"),
    (["登樓:白", "日"], "白日"),  # a piece may hold the colon and more
    (["白", "日"], "白日"),  # no title written: all poem, as `--no-title` prints it
    ([], ""),
])
def test_untitled_drops_the_title_and_its_colon(pieces, shown):
    from engine.generate.forms import untitled

    assert "".join(untitled(pieces)) == shown
    record = "".join(pieces)
    assert shown == (record.partition(":")[2] if ":" in record else record)


def test_the_form_holds_seven_character_lines_and_eight_line_poems(tang_sampler):
    from engine.generate.forms import shape_of

    vocab = tang_sampler.vocab
    config = SampleConfig(length=120, temperature=1.5, seed=5)
    either = [poem_part("".join(p)) for p in
              tang_sampler.items("", config, 12, QuatrainForm(vocab, "白黃"))]
    assert all(well_formed(p) for p in either), either  # the first line chose 5 or 7
    seven = QuatrainForm(vocab, "白黃欲更", size=7)
    for p in tang_sampler.items("", config, 5, seven):
        poem = poem_part("".join(p))
        assert well_formed(poem, 7) and [poem[0], poem[8], poem[16], poem[24]] == list("白黃欲更")
    assert not seven.pruned == []  # the mask's cost is reported, token by token
    assert all(0.0 <= x <= 1.0 for x in seven.pruned)
    octave = QuatrainForm(vocab, size=5, lines=8)
    for p in tang_sampler.items("", config, 3, octave):
        assert shape_of(poem_part("".join(p))).lines == 8
    assert well_formed(POEM) and not well_formed(POEM, 7) and shape_of(POEM + POEM).lines == 8
