"""Translation: a pairs corpus trains an encoder–decoder that then translates, greedily (streamed)
or by beam search; `poetui translate` and `poetui eval` on pairs (real training, real files)."""

from __future__ import annotations

import json
import random

import pytest
import torch
from helpers import assert_one_sentence, poetui

from engine.loading import load_model
from engine.train import job
from engine.train.assemble import open_trainer

_rng = random.Random(5)
WORDS = sorted({"".join(_rng.choices("abcdefgh", k=_rng.randint(2, 6))) for _ in range(4000)})


@pytest.fixture(scope="module")
def reversal_file(tmp_path_factory):
    """A made-up pairs corpus: each short word and its reversal (plus a third column, which is
    ignored, as in the Anki files)."""
    path = tmp_path_factory.mktemp("pairs") / "reverse.txt"
    path.write_text("".join(f"{w}\t{w[::-1]}\tCC-BY\n" for w in WORDS), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reverser(reversal_file, tmp_path_factory):
    """A model trained briefly on the reversal corpus (in a store of its own, shared by the
    tests of this module)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("POETUI_HOME", str(tmp_path_factory.mktemp("home")))
    torch.manual_seed(0)
    model_dir = job.create_model(str(reversal_file), name="rev", hidden=96, embed=32,
                                 steps=600, eval_every=300, lr=1e-2, dropout=0.0, batch=32,
                                 precision="fp32")
    done = open_trainer(model_dir).run(lambda e: None)
    yield load_model("rev"), done
    mp.undo()


def test_pairs_train_a_translation_model_that_translates_exactly(reverser):
    loaded, done = reverser
    assert loaded.kind.translates and done.val_loss < 0.1
    translator = loaded.translator()
    held_out = [w for w in ("abcde", "hgfed", "bad", "cafe", "ghab")]
    right = sum("".join(translator.stream(w)) == w[::-1] for w in held_out)
    assert right >= 4, [("".join(translator.stream(w)), w[::-1]) for w in held_out]


def test_beam_of_one_is_greedy_and_a_wider_beam_is_never_worse(reverser):
    translator = reverser[0].translator()
    for word in ("abc", "hgfe", "dcbah", "aa"):
        source = translator.source(word)
        greedy = "".join(translator.stream(source))
        assert translator.beam(source, width=1)[0][0] == greedy
        greedy_score = translator.score(source.ids, translator.vocab.encode(greedy))
        best = translator.beam(source, width=4, n_best=3)
        assert best[0][1] >= greedy_score - 1e-6
        assert [s for _, s in best] == sorted((s for _, s in best), reverse=True)


def test_unknown_source_characters_are_named_and_dropped(reverser):
    translator = reverser[0].translator()
    source = translator.source("abzz☃c")
    assert "'z'" in source.notice and "'☃'" in source.notice
    assert translator.vocab.decode(source.ids) == "abc"
    assert isinstance("".join(translator.stream(source)), str)


def test_translate_and_eval_from_the_command_line(reversal_file, tmp_path):
    poetui("train", str(reversal_file), "--name", "r", "--steps", "20", "--hidden", "32",
           "--embed", "16", "--eval-every", "20")
    out = poetui("translate", "r", "abc").stdout
    assert out.endswith("\n") and "\n" not in out[:-1]
    # Without --beam it is the best of a beam of 5; --beam 1 is greedy, streamed.
    assert out == poetui("translate", "r", "abc", "--beam", "5").stdout
    loaded = load_model("r").translator()
    greedy = "".join(loaded.stream("abc"))
    assert poetui("translate", "r", "abc", "--beam", "1").stdout == greedy + "\n"
    assert out[:-1] == loaded.beam(loaded.source("abc"), 5)[0][0]
    many = poetui("translate", "r", input="ab\ncd\nzz\n").stdout.splitlines()
    assert len(many) == 3
    scored = poetui("translate", "r", "abc", "--beam", "3", "--n-best", "2").stdout.splitlines()
    assert len(scored) == 2 and all(float(line.split()[0]) <= 0 for line in scored)
    held_out = tmp_path / "held.txt"
    held_out.write_text("abc\tcba\nhgf\tfgh\n", encoding="utf-8")
    report = json.loads(poetui("eval", "r", str(held_out), "--json").stdout)
    assert {"chrf", "bleu", "exact", "loss"} <= set(report) and 0 <= report["chrf"] <= 1
    assert_one_sentence(poetui("sample", "r", check=False), "poetui translate r")


def test_reverse_trains_the_other_direction(reversal_file):
    model_dir = job.create_model(str(reversal_file), name="back", reverse=True, steps=1,
                                 hidden=16, embed=8)
    trainer = open_trainer(model_dir)
    source, target = trainer.val_ids[0]
    assert trainer.vocab.decode(source) == trainer.vocab.decode(target)[::-1]
    assert json.loads((model_dir / "model.json").read_text())["corpus"]["reverse"] is True


def test_the_keras_recipe_is_a_preset(reversal_file):
    model_dir = job.create_model(str(reversal_file), name="keras", preset="keras-seq2seq",
                                 steps=2)
    meta = json.loads((model_dir / "model.json").read_text())
    assert meta["model"]["hidden"] == 256 and not meta["model"]["attention"]
    assert meta["train"]["optimizer"] == "rmsprop" and meta["train"]["batch"] == 64
    assert open_trainer(model_dir).run(lambda e: None).steps == 2


def test_target_drop_hides_decoder_inputs_only_while_training():
    from engine.config import ModelConfig
    from engine.nn.seq2seq import Seq2Seq

    torch.manual_seed(0)
    model = Seq2Seq(ModelConfig(vocab_size=12, hidden=16, layers=1, embed=8, arch="seq2seq",
                                attention=True, target_drop=0.5))
    src, lengths = torch.randint(3, 12, (4, 6)), torch.tensor([6, 5, 4, 3])
    tgt = torch.randint(3, 12, (4, 7))
    model.eval()
    assert torch.equal(model(src, lengths, tgt), model(src, lengths, tgt))
    model.train()
    assert not torch.equal(model(src, lengths, tgt), model(src, lengths, tgt))
    with pytest.raises(ValueError, match="target drop"):
        ModelConfig(vocab_size=12, arch="seq2seq", target_drop=1.0)


def test_label_smoothing_trains_a_translator_and_is_refused_out_of_range(reversal_file):
    """Smoothed targets still learn the reversal (validation scores the true targets, so its
    loss falls below a bound a guess never reaches); a smoothing of 1 would learn nothing."""
    from engine.errors import PoetuiError

    torch.manual_seed(0)
    model_dir = job.create_model(str(reversal_file), name="smooth", hidden=64, embed=16,
                                 steps=300, lr=1e-2, dropout=0.0, batch=32, precision="fp32",
                                 label_smoothing=0.1, target_drop=0.1)
    done = open_trainer(model_dir).run(lambda e: None)
    assert done.val_loss < 1.0  # uniform guessing over the 8 letters is ln 8 ≈ 2.08
    assert json.loads((model_dir / "model.json").read_text())["train"]["label_smoothing"] == 0.1
    with pytest.raises(PoetuiError, match="label smoothing"):
        job.create_model(str(reversal_file), name="bad", steps=1, label_smoothing=1.0)
