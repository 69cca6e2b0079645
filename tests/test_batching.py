import numpy as np
import torch
import torch.nn.functional as F

from engine.config import ModelConfig
from engine.data.batching import IGNORE, RecordBatches, StreamBatches
from engine.nn.model import LanguageModel


def test_stream_windows_continue_each_other():
    ids = np.arange(1000)
    batches = list(StreamBatches(ids, batch=4, seq_len=10).epoch())
    assert not batches[0].carry and all(b.carry for b in batches[1:])
    for a, b in zip(batches, batches[1:], strict=False):
        # Each stream's next window starts where the previous one's targets left off.
        assert torch.equal(b.x[:, 0], a.y[:, -1])
    first = batches[0]
    assert torch.equal(first.y, first.x + 1)
    # The four streams are contiguous quarters of the text.
    assert first.x[:, 0].tolist() == [0, 250, 500, 750]


def test_stream_resume_mid_epoch_yields_the_same_windows():
    ids = np.arange(500)
    sb = StreamBatches(ids, batch=2, seq_len=7)
    whole = list(sb.epoch())
    tail = list(sb.epoch(start=5))
    assert [b.index for b in tail] == [b.index for b in whole[5:]]
    assert all(torch.equal(a.x, b.x) for a, b in zip(tail, whole[5:], strict=False))


def test_carried_state_equals_one_long_forward():
    torch.manual_seed(0)
    model = LanguageModel(ModelConfig(vocab_size=20, cell="lstm", layers=2, hidden=16)).eval()
    ids = np.random.default_rng(0).integers(0, 20, 121)
    full, _ = model(torch.from_numpy(ids[:-1]).unsqueeze(0))
    state, pieces = None, []
    for b in StreamBatches(ids, batch=1, seq_len=30).epoch():
        logits, state = model(b.x, state if b.carry else None)
        pieces.append(logits)
    assert torch.allclose(torch.cat(pieces, 1), full, atol=1e-5)


def test_records_are_padded_and_padding_is_masked():
    records = [np.array([5, 6, 7]), np.array([5]), np.array([6, 7, 8, 9, 5])]
    rb = RecordBatches(records, batch=3, bos=1, eos=2, pad=0)
    (batch,) = list(rb.epoch(seed=3))
    assert batch.tokens == sum(len(r) + 1 for r in records)  # each record's tokens + <eos>
    pads = batch.y == IGNORE
    assert int(pads.sum()) == batch.y.numel() - batch.tokens
    assert (batch.x[:, 0] == 1).all()  # every row starts at <bos>
    # The masked loss over the batch equals the loss of each record on its own.
    torch.manual_seed(0)
    model = LanguageModel(ModelConfig(vocab_size=10, cell="gru", layers=1, hidden=8)).eval()
    logits, _ = model(batch.x)
    batched = F.cross_entropy(logits.flatten(0, 1), batch.y.flatten(), ignore_index=IGNORE,
                              reduction="sum")
    alone = 0.0
    for row in range(batch.x.shape[0]):
        n = int((batch.y[row] != IGNORE).sum())
        lg, _ = model(batch.x[row : row + 1, :n])
        alone += F.cross_entropy(lg[0], batch.y[row, :n], reduction="sum").item()
    assert abs(batched.item() - alone) < 1e-4


def test_records_batches_group_similar_lengths():
    rng = np.random.default_rng(0)
    records = [np.ones(int(n)) for n in rng.integers(1, 60, 400)]
    rb = RecordBatches(records, batch=20, bos=1, eos=2, pad=0)
    padded = sum(b.x.numel() for b in rb.epoch())
    real = sum(b.tokens for b in rb.epoch())
    assert padded < real * 1.15  # random batching would pad ~50 %


def test_eval_windows_score_every_token_after_the_first_once():
    from engine.data.batching import eval_windows

    for length in (2, 17, 1000, 1003):
        ids = np.arange(length)
        batches = list(eval_windows(ids, batch=4, seq_len=7))
        targets = sorted(int(t) for b in batches for t in b.y.flatten())
        assert targets == list(range(1, length))
        assert sum(b.tokens for b in batches) == length - 1
        for b in batches:
            assert torch.equal(b.y, b.x + 1)
