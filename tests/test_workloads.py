"""The classic exercises as presets: a user's own list of names trains with the dinosaurs
recipe (lowercased, one name per line), samples one new name per line, and is scored per name."""

from __future__ import annotations

import json

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
