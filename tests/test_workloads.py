"""The classic exercises as presets: a user's own list of names trains with the dinosaurs
recipe (lowercased, one name per line), samples one new name per line, and is scored per name."""

from __future__ import annotations

import json
import math

from helpers import poetui

CAPITALISED = ["Anna", "Bob", "Carla", "Dora", "Emil", "Fred", "Gina", "Hugo", "Ines", "Jan"]


def test_a_users_names_train_with_the_dinosaurs_preset(tmp_path, poetui_home):
    names = tmp_path / "my_names.txt"
    names.write_text("\n".join(CAPITALISED * 30) + "\n", encoding="utf-8")
    poetui("train", str(names), "--preset", "dinosaurs", "--name", "dino", "--steps", "150")
    vocab = json.loads((poetui_home / "models" / "dino" / "vocab.json").read_text())
    assert not any(t.isupper() for t in vocab["tokens"])  # the recipe: lowercase
    result = poetui("sample", "dino", "--count", "6", "--seed", "2", "--stats")
    lines = result.stdout.splitlines()
    assert len(lines) == 6 and all(line == line.lower() for line in lines)
    assert "novelty:" in result.stderr and "items" in result.stderr
    report = json.loads(poetui("eval", "dino", str(names), "--json").stdout)
    # Ten names, each equally likely: about ln 10 nats to pick one, little more to spell it.
    assert report["items"] == 300 and report["loss_per_item"] < 4.0


def test_the_original_exercise_is_a_preset(tmp_path, poetui_home):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(CAPITALISED * 10) + "\n", encoding="utf-8")
    poetui("train", str(names), "--preset", "dinosaurs-original", "--name", "orig",
           "--steps", "20")
    meta = json.loads((poetui_home / "models" / "orig" / "model.json").read_text())
    assert meta["model"]["cell"] == "rnn" and meta["model"]["hidden"] == 50
    assert meta["train"]["optimizer"] == "sgd" and meta["train"]["batch"] == 1
    assert meta["train"]["clip_mode"] == "value" and meta["train"]["clip"] == 5.0


def test_ptb_small_follows_the_papers_learning_rate_epoch_by_epoch(pattern_file):
    from engine.train import job
    from engine.train.assemble import open_trainer

    model_dir = job.create_model(str(pattern_file), name="ptb", preset="ptb-small")
    trainer = open_trainer(model_dir)
    first_lr: dict[int, float] = {}
    evals = []

    def watch(event) -> None:
        if event.kind == "step":
            first_lr.setdefault(event.epoch, event.lr)
        elif event.kind == "eval":
            evals.append(event.step)

    trainer.run(watch)
    # lr × decay^max(epoch − max_epoch, 0), epochs counted from 1, max_epoch 4, decay 0.5.
    assert first_lr == {e: 1.0 * 0.5 ** max(e - 4, 0) for e in range(1, 14)}
    assert len(evals) == 13  # validation after every epoch, the last one included
    weights = [p for p in trainer.model.parameters()]
    assert all(float(p.detach().abs().max()) < 5 for p in weights)  # from ±0.1, by SGD


def test_the_cookbook_recipe_shows_unk_and_reads_primes_through_it(tmp_path, poetui_home):
    text = tmp_path / "plays.txt"
    common = "To be, or not to be: that is the question. Thou art more lovely! "
    rare = " ".join(f"{common} word{i}" for i in range(60))  # 60 words seen once: <unk>
    text.write_text(common * 60 + rare + " Wherefore art thou Romeo? ", encoding="utf-8")
    poetui("train", str(text), "--preset", "shakespeare-words", "--name", "w",
           "--steps", "60", "--hidden", "64", "--embed", "64")  # the recipe, a small model
    vocab = json.loads((poetui_home / "models" / "w" / "vocab.json").read_text())
    assert "romeo" not in vocab["tokens"] and "<unk>" in vocab["tokens"]  # seen once
    assert "," not in vocab["tokens"] and "to" in vocab["tokens"]  # lowercased, no commas
    result = poetui("sample", "w", "--prime", "Wherefore art thou", "--length", "40",
                    "--greedy")
    assert "wherefore" in result.stderr and "<unk>" in result.stderr  # said once
    # Asked to (--allow-unk), a word model that predicts <unk> shows it, never silently drops
    # it; by default <unk> is masked when sampling, so it is never written.
    sampled = poetui("sample", "w", "--length", "300", "--seed", "1", "--allow-unk").stdout
    assert "<unk>" in sampled
    assert "<unk>" not in poetui("sample", "w", "--length", "300", "--seed", "1").stdout


def test_weight_drop_masks_the_recurrent_weights_only_while_training():
    import torch

    from engine.config import ModelConfig
    from engine.nn.model import LanguageModel

    torch.manual_seed(0)
    model = LanguageModel(ModelConfig(vocab_size=12, hidden=16, layers=1, weight_drop=0.5))
    x = torch.randint(0, 12, (2, 7))
    model.train()
    first, second = model(x)[0], model(x)[0]
    assert not torch.allclose(first, second)  # a fresh mask per batch
    model.eval()
    plain = model.head(model.rnn(model.embedding(x))[0])
    assert torch.allclose(model(x)[0], plain)  # evaluation reads the weights whole
    assert all(p.grad is None for p in model.parameters())


def test_a_folder_with_its_own_split_trains_on_it_and_reports_test_perplexity(tmp_path,
                                                                              poetui_home):
    """PTB's layout: train, valid and test files honoured as given; the test file is scored
    once at the end, and the vocabulary keeps only the --max-vocab most frequent words."""
    folder = tmp_path / "ptb"
    folder.mkdir()
    line = "the cat sat on the mat and the dog sat on the log\n"
    (folder / "ptb.train.txt").write_text(line * 600 + "zebra quokka\n", encoding="utf-8")
    (folder / "ptb.valid.txt").write_text(line * 10, encoding="utf-8")
    (folder / "ptb.test.txt").write_text(line * 10, encoding="utf-8")
    result = poetui("train", str(folder), "--preset", "ptb-small", "--name", "p", "--hidden",
                    "32", "--epochs", "5", "--max-vocab", "10", "--json")
    events = [json.loads(e) for e in result.stdout.splitlines()]
    done = events[-1]
    assert done["kind"] == "done" and done["test_loss"] is not None
    # Nine words and <unk> (the specials counted in the 10): a uniform guess scores perplexity 10.
    assert done["test_perplexity"] < 6.0 and abs(done["test_perplexity"] -
                                                  math.exp(done["test_loss"])) < 1e-6
    vocab = json.loads((poetui_home / "models" / "p" / "vocab.json").read_text())
    assert len(vocab["tokens"]) == 10 and "zebra" not in vocab["tokens"]
    assert len([e for e in events if e["kind"] == "eval"]) == 5  # one per epoch
    shown = poetui("train", str(folder), "--preset", "ptb-small", "--name", "q", "--hidden",
                   "16", "--epochs", "1")
    assert "test loss" in shown.stderr and "words/s" in shown.stderr


def test_the_ptb_recipes_step_on_the_loss_summed_over_each_window(pattern_file):
    """Zaremba's script takes its SGD step (lr 1.0) on the loss summed over the 20 unrolled
    steps and averaged over the batch: 20 times the step a per-token mean would take."""
    import torch

    from engine.train import job
    from engine.train.assemble import open_trainer

    moved = []
    for name, loss_sum in (("summed", True), ("mean", False)):
        model_dir = job.create_model(str(pattern_file), name=name, preset="ptb-small",
                                     steps=1, clip=1e9, loss_sum=loss_sum,
                                     precision="fp32")
        trainer = open_trainer(model_dir)
        before = [p.detach().clone() for p in trainer.model.parameters()]
        trainer.run(lambda e: None)
        moved.append(torch.cat([(p.detach() - b).flatten()
                                for p, b in zip(trainer.model.parameters(), before, strict=True)]))
    assert torch.allclose(moved[0], 20 * moved[1], rtol=1e-3, atol=1e-7)
