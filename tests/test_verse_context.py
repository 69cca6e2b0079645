"""The verse context (engine.nn.verse_context): what it asks of each next character agrees with
the checker's patterns on a regulated poem of each pattern, it asks a rhyme only where line 4
ends, and a model that reads it steps the same through the numpy and the device stepper as
over the whole record."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_verse import PATTERNS

from engine.config import ModelConfig, count_parameters
from engine.generate import verse
from engine.generate.device_stepper import DeviceStepper
from engine.generate.sampler import Stepper
from engine.nn.model import LanguageModel
from engine.nn.verse_context import COLUMNS, VerseContext, roles

SPECIALS = ["<pad>", "<bos>", "<eos>"]


def context_of(record: str) -> tuple[list[str], np.ndarray]:
    tokens = SPECIALS + sorted(set(record))
    index = {t: i for i, t in enumerate(tokens)}
    ids = np.array([[1] + [index[c] for c in record] + [2]])
    tracker = VerseContext(verse.features(tokens).numpy(), roles(tokens))
    return tokens, tracker.sequence(ids)[0]


@pytest.mark.parametrize("size, start, first_rhymed, group, record", PATTERNS)
def test_what_it_asks_a_regulated_poem_gives(size, start, first_rhymed, group, record):
    rules = verse.table()
    tokens, context = context_of(record)
    asked_tones, asked_rhymes = 0, 0
    # context[k] is what is asked of record[k] (context[0] is read after <bos>), if a
    # character comes there: the first line's sixth place asks the seven-character tone.
    for k, ch in enumerate(record):
        asks = context[k]
        if ch in "，。":
            assert k == record.index(":") + 6 or not asks[:32].any()
            continue
        if asks[0] or asks[1]:
            asked_tones += 1
            assert (verse.LEVEL if asks[0] else verse.OBLIQUE) in rules.tones_of(ch), (k, ch)
        if asks[2:32].any():
            asked_rhymes += 1
            wanted = {rules.groups[g] for g in np.flatnonzero(asks[2:32])}
            assert group in wanted and wanted & set(rules.groups_of(ch)), (k, ch)
    # Every column the rules tie (2nd and 4th, a seven-character line's 6th, but the first
    # line's 2nd, which chooses the pattern; the ends but the first line's), less those a
    # character of both tones left open: most are asked.
    tied = 4 * (2 if size == 5 else 3) - 1 + 3
    assert tied - 4 <= asked_tones <= tied
    assert asked_rhymes == 1  # line 4's end only


def test_it_reads_the_column_and_line_and_asks_nothing_in_the_title():
    tokens, context = context_of(PATTERNS[0][4])  # 登鸛雀樓:白日依山盡，…
    title = len("登鸛雀樓")
    assert context[: title + 1, -1].all() and not context[: title + 1, :-1].any()
    after_colon = context[title + 1]
    assert after_colon[32] == 1 and after_colon[32 + COLUMNS] == 1  # column 0, line 0
    after_comma = context[title + 1 + 6]  # read after line 1's comma: line 2, column 0
    assert after_comma[32] == 1 and after_comma[32 + COLUMNS + 1] == 1


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_both_steppers_read_the_context_as_the_whole_record_does(cell):
    record = PATTERNS[6][4]
    tokens = SPECIALS + sorted(set(record))
    index = {t: i for i, t in enumerate(tokens)}
    torch.manual_seed(0)
    config = ModelConfig(len(tokens), cell, 2, 24, embed=16, verse_features=True,
                         verse_context=True)
    model = LanguageModel(config).eval()
    assert count_parameters(config) == model.num_parameters()
    with torch.no_grad():
        model.verse.copy_(verse.features(tokens))
        model.verse_role.copy_(torch.from_numpy(roles(tokens)))
        torch.nn.init.normal_(model.context_out)
        torch.nn.init.normal_(model.context_in.weight)
    ids = [1] + [index[c] for c in record]
    with torch.no_grad():
        whole, _ = model(torch.tensor([ids]))
        blind, _ = model(torch.tensor([ids]),
                         context=torch.zeros(1, len(ids), model.context_in.in_features))
    assert not torch.allclose(whole, blind, atol=1e-3)  # the context counts
    for stepper in (Stepper(model), DeviceStepper(model)):
        state = stepper.zero_state()
        stepped = torch.stack([stepper.step(t, state) for t in ids])
        assert torch.allclose(stepped, whole[0], atol=1e-4), type(stepper).__name__
        # N streams at once, and a fork, read the same context as one stream.
        many = stepper.repeat(stepper.zero_state(), 3)
        for t in ids[:-1]:
            rows = stepper.advance(np.full(3, t), many)
        fork = stepper.row(many, 1)
        assert np.allclose(rows[2], whole[0, -2].numpy(), atol=1e-4)
        assert np.allclose(stepper.advance(ids[-1], fork), whole[0, -1].numpy(), atol=1e-4)
