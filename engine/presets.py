"""Named configurations. Torch-free so `poetui train --help` can list them instantly."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import PoetuiError, did_you_mean


@dataclass(frozen=True)
class Preset:
    name: str
    about: str
    settings: dict = field(default_factory=dict)
    # (minutes, settings): the model that is best for a time budget grows with the budget —
    # on a CPU the number of updates decides, so small batches and a model that fits the time.
    # The last tier whose minutes the budget reaches applies; step/epoch budgets take the last.
    tiers: tuple[tuple[float, dict], ...] = ()

    def for_budget(self, minutes: float | None) -> dict:
        settings = dict(self.settings)
        chosen: dict = {}
        for threshold, tier in self.tiers:
            if minutes is None or minutes >= threshold:
                chosen = tier
        settings.update(chosen)
        return settings


PRESETS: dict[str, Preset] = {
    p.name: p
    for p in (
        Preset("tiny", "a 1×64 LSTM for 150 steps: seconds, for tests and demos", dict(
            level="char", cell="lstm", layers=1, hidden=64, seq_len=32, batch=16, lr=1e-2,
            steps=150, warmup=10)),
        Preset("char", "default character model, tuned for quality per minute on a CPU; its "
               "size follows the --minutes budget", dict(
            level="char", cell="lstm", layers=1, embed=64, batch=16, seq_len=64, beta2=0.95,
            warmup=20, average=0.99, minutes=5.0),
            tiers=(
                (0.0, dict(hidden=256, lr=1e-2)),
                # From 3 minutes a wider model with heavy dropout: on a CPU with native bf16
                # 5 minutes is 7+ epochs of Tiny Shakespeare, and 512 units without dropout
                # overfit to 1.585 (1.436 with these).
                (3.0, dict(hidden=640, lr=5e-3, dropout=0.4)),
            )),
        Preset("char-rnn", "Karpathy's char-rnn defaults: 2×128 LSTM, seq 50, batch 50", dict(
            level="char", cell="lstm", layers=2, hidden=128, seq_len=50, batch=50, lr=2e-3,
            optimizer="adam", schedule="step", decay=0.97, decay_after=10, clip=5.0,
            clip_mode="value", epochs=50)),
        Preset("dinosaurs", "names, one per line (the classic numpy character RNN's corpus, "
               "lowercased), regularised for a small corpus: 1×128 LSTM with dropout on its "
               "input, recurrent weights and output; evaluated every epoch, keeps the best",
               dict(
            level="char", lowercase=True, cell="lstm", layers=1, hidden=128, embed=32,
            dropout=0.5, embed_dropout=0.2, weight_drop=0.5, batch=32, lr=5e-3,
            weight_decay=0.05, average=0.98, warmup=20, eval_per_epoch=True,
            sample_every=500, minutes=1.0)),
        # The exercise's SGD rate of 0.01 acts on the loss summed over a name's characters.
        Preset("dinosaurs-original", "the classic numpy exercise as it was: a plain 1×50 RNN, "
               "SGD, element-wise clipping at ±5, one name per step", dict(
            level="char", lowercase=True, cell="rnn", layers=1, hidden=50, batch=1,
            optimizer="sgd", lr=0.01, loss_sum=True, clip=5.0, clip_mode="value",
            schedule="constant", warmup=0, steps=35000)),
        Preset("tang-wujue", "Tang five-character quatrains: `title:poem` lines with the "
               "Tang-poem generator's filters, a 1×384 LSTM that reads each character's tones and "
               "rhyme groups and what the rules of regulated verse ask next, tuned for 3 minutes "
               "on a CPU", dict(
            level="char", recipe="tang-poems", cell="lstm", layers=1, hidden=384, embed=128,
            dropout=0.1, batch=32, lr=4e-3, beta2=0.95, warmup=20, average=0.99,
            verse_features=True, verse_context=True, minutes=3.0)),
        Preset("tang-qijue", "Tang seven-character quatrains: `title:poem` lines kept by "
               "the tang-qijue recipe, a 1×384 LSTM that reads each character's tones and rhyme "
               "groups and what the rules of regulated verse ask next, tuned for 5 minutes on a "
               "CPU", dict(
            level="char", recipe="tang-qijue", cell="lstm", layers=1, hidden=384, embed=128,
            dropout=0.1, batch=32, lr=4e-3, beta2=0.95, warmup=20, average=0.99,
            verse_features=True, verse_context=True, minutes=5.0)),
        Preset("tang", "the Tang-poem generator: 2×128 LSTM over one poem per line", dict(
            level="char", cell="lstm", layers=2, hidden=128, batch=64, lr=1e-2, epochs=50,
            optimizer="adam", schedule="constant")),
        Preset("shakespeare-words", "word-level Shakespeare (the TensorFlow cookbook recipe: "
               "lowercase, punctuation stripped but - and ', words seen ≤ 5 times → <unk>), "
               "a 1×384 LSTM with tied embeddings and dropout on its input, recurrent weights "
               "and output, tuned for 5 minutes on a CPU", dict(
            level="word", recipe="cookbook-words", min_freq=6, cell="lstm", layers=1,
            hidden=384, embed=384, tie_weights=True, dropout=0.5, embed_dropout=0.2,
            weight_drop=0.4, seq_len=35, batch=32, lr=6e-3, beta2=0.95, weight_decay=0.05,
            warmup=20, average=0.99, minutes=5.0)),
        Preset("word", "word-level Shakespeare LSTM: 128 units, frequency cut-off 5", dict(
            level="word", min_freq=5, cell="lstm", layers=1, hidden=128, seq_len=35, batch=32,
            lr=3e-3, epochs=20)),
        # Regularised for sentences it never saw (the split holds out whole source sentences):
        # label smoothing, and a tenth of the decoder's input characters hidden.
        Preset("translate", "translation (default for pairs): a bidirectional LSTM encoder, "
               "a decoder that attends to it, dropout, label smoothing; tuned for a CPU", dict(
            level="char", cell="lstm", layers=1, hidden=256, embed=64, bidirectional=True,
            attention=True, dropout=0.2, target_drop=0.1, label_smoothing=0.1, batch=64,
            seq_len=128, lr=3e-3, beta2=0.98, warmup=50, average=0.99, minutes=10.0)),
        Preset("keras-seq2seq", "the Keras lstm_seq2seq example: 256-unit LSTM encoder and "
               "decoder, the encoder's final state starting the decoder, RMSprop, batch 64", dict(
            level="char", cell="lstm", layers=1, hidden=256, batch=64, seq_len=128,
            optimizer="rmsprop", lr=1e-3, schedule="constant", clip=1e9, warmup=0,
            minutes=10.0)),
        # The course's first exercise: an LSTM reads a digit one row of 28 pixels per step and
        # names it from its last output (TensorFlow's classic MNIST RNN example).
        Preset("mnist-rows", "the course's MNIST exercise: one LSTM layer of 128 reading a "
               "digit row by row, the last step's output to the classes, Adam at 0.001, "
               "batch 128", dict(
            cell="lstm", layers=1, hidden=128, pool="last", optimizer="adam", lr=1e-3,
            batch=128, schedule="constant", warmup=0, clip=1e9, minutes=2.0)),
        # On mnist_4k (issue 21's trials, docs/benchmarks.md): read one way to the last step,
        # an LSTM of 128 takes 29 steps of 128 a second on 2 cores, 2.2× the bidirectional
        # LSTM, so ~3,000 steps (115 epochs) fit in 2 minutes; over that many epochs the digits
        # need more than shifts and turns: grown or shrunk by up to 10 % and warped by up to
        # 2 px, 98.5 % held out at 3,000 steps against 97.75 % with shifts and turns alone.
        Preset("classify", "classifier (default for labelled examples), tuned for accuracy "
               "per minute on a CPU: an LSTM read to its last step, digits moved, turned, "
               "scaled and warped while training", dict(
            cell="lstm", layers=1, hidden=128, embed=64, bidirectional=False, pool="last",
            dropout=0.1, shift=2, rotate=12.0, scale=0.1, elastic=2.0, optimizer="adamw",
            lr=4e-3, batch=128, warmup=30, average=0.99, minutes=2.0)),
        # Zaremba, Sutskever & Vinyals (2014), as their TensorFlow tutorial sets them: init
        # scale, SGD at 1.0, max grad norm, 2 layers, unrolled steps, hidden, the epoch after
        # which lr × decay^max(epoch − max_epoch, 0) applies, epochs, dropout = 1 − keep
        # probability, batch 20. The paper's figures on PTB: small 120.7 valid / 114.5 test.
        *(Preset(f"ptb-{size}", f"Zaremba's {size} PTB recipe: 2×{hidden} LSTM, SGD lr 1, "
                 f"decay {decay:.3g} after epoch {after}, {epochs} epochs", dict(
            level="word", max_vocab=10000, cell="lstm", layers=2, hidden=hidden, init_scale=init,
            seq_len=steps, batch=20, optimizer="sgd", lr=1.0, loss_sum=True, schedule="step",
            decay=decay, decay_after=after, clip=clip, dropout=round(1 - keep, 2),
            embed_dropout=round(1 - keep, 2), warmup=0, epochs=epochs, eval_per_epoch=True))
          for size, init, clip, steps, hidden, after, epochs, keep, decay in (
              ("small", 0.1, 5.0, 20, 200, 4, 13, 1.0, 0.5),
              ("medium", 0.05, 5.0, 35, 650, 6, 39, 0.5, 0.8),
              ("large", 0.04, 10.0, 35, 1500, 14, 55, 0.35, 1 / 1.15))),
    )
}

DEFAULT_PRESET = {"char": "char", "word": "word"}


def preset_named(name: str) -> Preset:
    """The preset ``name``; a sentence with the nearest name and the list when there is none."""
    if name not in PRESETS:
        raise PoetuiError(f"There is no preset named '{name}'{did_you_mean(name, list(PRESETS))}; "
                          f"choose from {', '.join(PRESETS)}.")
    return PRESETS[name]
