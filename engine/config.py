"""The settings of a model, a training run and a sample, and every list of choices.

Torch-free on purpose: the CLI's options, the app's forms and model creation read these at no
cost, so `poetui --help` and the first paint never wait for PyTorch. The modules that do the
maths (model, trainer, sampler) take their settings from here.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from engine.errors import PoetuiError

CELLS = ("lstm", "gru", "rnn")
LEVELS = ("char", "word")
KINDS = ("stream", "records", "pairs", "labels")
SPLIT_RULES = ("by-source", "random")  # how a pairs corpus splits (engine.kinds)
POOLS = ("last", "mean", "max")  # how a classifier reads its sequence's outputs
OPTIMIZERS = ("adamw", "adam", "sgd", "rmsprop")
SCHEDULES = ("cosine", "constant", "step")
CLIP_MODES = ("norm", "value")  # norm: global norm; value: element-wise, as the numpy exercise
PRECISIONS = ("auto", "bf16", "fp32")
BUDGETS = ("steps", "epochs", "minutes")
MAX_SEED = 2**63 - 1  # what torch.manual_seed and numpy accept alike
# The largest budgets accepted: beyond any run one machine finishes (a billion steps is weeks
# even for the tiniest model), so a larger number is a typo that would train "0 %" forever.
MAX_BUDGET = {"steps": 1_000_000_000, "epochs": 1_000_000, "minutes": 525_600}
BUDGET_LIMIT_WORDS = {"steps": "1,000,000,000 steps", "epochs": "1,000,000 epochs",
                      "minutes": "525,600 minutes (a year)"}
# The widest beam search offered: the search costs width × length decoder steps per sentence,
# so 1,000,000 ran for minutes without a word; beyond a few dozen a wider beam rarely helps.
MAX_BEAM = 64
# `poetui translate`'s decoding when --beam is not given: held out by source sentence, a beam of
# 5 lifted the `translate` preset's chrF from 0.428 (greedy) to 0.459 (bench/translation.py).
DEFAULT_BEAM = 5
# A budget in minutes spends at most this share of its clock on evaluations (their samples and
# checkpoints included): on a busy machine ten evaluations of a few minutes' run took most of
# it (56 steps of the ≈ 370 promised). The trainer defers one that would go over; the estimate
# counts the rest as training.
EVAL_SHARE = 0.10


VERSE_FEATURES = 32  # a character's two tones (平, 仄) and the 30 level-tone rhyme groups
VERSE_CONTEXT = VERSE_FEATURES + 8 + 9 + 1  # what is asked next, column, line, in the title


@dataclass
class ModelConfig:
    vocab_size: int
    cell: str = "lstm"
    layers: int = 2
    hidden: int = 512
    embed: int = 0  # 0: same as hidden
    dropout: float = 0.0  # between recurrent layers and before the head
    # On the embedding's output, the input of the first layer: Zaremba's recipe drops there
    # too, and a tiny corpus (names) needs it to generalise.
    embed_dropout: float = 0.0
    # DropConnect on the recurrent (hidden-to-hidden) weights while training, as AWD-LSTM
    # regularises small corpora: names overfit within seconds without it.
    weight_drop: float = 0.0
    # The head reads its weights from the embedding; with a narrower embedding the RNN's output
    # is first projected down to it. With a 6,000-character vocabulary that makes the head, the
    # bulk of the time and the weights, several times cheaper.
    tie_weights: bool = False
    # Translation (an encoder–decoder, chosen by a pairs corpus): the encoder reads both ways;
    # the decoder attends to the encoder's outputs.
    init_scale: float = 0.0  # > 0: every weight uniform in ±this (Zaremba's PTB recipe)
    # Regulated verse: each character's tones and Pingshui rhyme groups (VERSE_FEATURES
    # columns) feed the RNN beside its embedding and give the head one shared direction per
    # tone and group, so what the model learns of a tone holds for every character that has it.
    verse_features: bool = False
    # And what the rules ask of the next character given the poem so far (the tone at its
    # column, line 2's rhyme at line 4's end; engine.nn.verse_context), with the column and
    # line: read by the RNN and the head. Needs verse_features.
    verse_context: bool = False
    arch: str = "lm"  # lm | seq2seq | classifier
    bidirectional: bool = False
    attention: bool = False
    # Translation: the share of the decoder's input characters hidden while training (word
    # dropout), so that it leans on the source rather than on the characters before.
    target_drop: float = 0.0
    # A classifier (chosen by a labelled corpus) reads a sequence and names its class: of
    # token ids through an embedding, or of vectors of ``inputs`` numbers per step (an image's
    # rows of pixels); its outputs over the steps are pooled into one before the head.
    classes: int = 0
    inputs: int = 0  # > 0: each step is a vector this wide, not a token
    pool: str = "last"

    def __post_init__(self) -> None:
        if self.cell not in CELLS:
            raise ValueError(f"cell must be one of {CELLS}, not {self.cell!r}")
        # Each sentence names the one setting that is wrong: "layers and hidden" for a bad
        # embedding size sent people to the wrong option.
        for value, what, least in ((self.layers, "the number of layers", 1),
                                   (self.hidden, "the hidden size", 1),
                                   (self.embed, "the embedding size", 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                allowed = "of at least 1" if least else "of 0 or more (0: the hidden size)"
                raise ValueError(f"{what} must be a whole number {allowed}, not {value!r}")
        for value, what in ((self.dropout, "the dropout"),
                            (self.embed_dropout, "the embedding dropout"),
                            (self.weight_drop, "the weight drop"),
                           (self.target_drop, "the target drop")):
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{what} must be at least 0 and below 1, not {value!r}")
        if self.arch not in ("lm", "seq2seq", "classifier"):
            raise ValueError(f"arch must be lm, seq2seq or classifier, not {self.arch!r}")
        if self.arch == "classifier" and (self.classes < 2 or self.pool not in POOLS):
            raise ValueError(f"a classifier needs 2 classes or more and a pool of {POOLS}")
        if self.arch == "seq2seq" and (self.cell != "lstm" or self.tie_weights):
            raise ValueError("translation models are LSTMs without tied weights")
        if self.bidirectional and self.hidden % 2:
            raise ValueError("a bidirectional encoder needs an even hidden size")
        if not isinstance(self.verse_features, bool) or self.verse_features and \
                self.arch != "lm":
            raise ValueError("verse features are true or false, for a language model")
        if not isinstance(self.verse_context, bool) or self.verse_context and \
                not self.verse_features:
            raise ValueError("verse context is true or false, and needs verse features")

    @property
    def embed_size(self) -> int:
        return self.embed or self.hidden

    def to_json(self) -> dict:
        return asdict(self)


def count_parameters(config: ModelConfig) -> int:
    """Parameter count without building the model (for the new-model screen's estimate)."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[config.cell]
    e, h, v, layers = config.embed_size, config.hidden, config.vocab_size, config.layers

    def stack(width: int, directions: int = 1) -> int:
        # The first layer reads the embedding, the others the layer below (closed form: a
        # billion layers must not take a billion additions to refuse).
        w = width // directions
        return directions * (gates * w * (e + w + 2)
                             + (layers - 1) * gates * w * (width + w + 2))

    project = h * e if config.tie_weights and e != h else 0
    head = (project if config.tie_weights else v * h) + v
    verse = VERSE_FEATURES * (e + (e if config.tie_weights else h)) \
        if config.verse_features else 0
    if config.verse_context:
        verse += VERSE_CONTEXT * e + VERSE_FEATURES
    if config.arch == "lm":
        return v * e + stack(h) + head + verse
    if config.arch == "classifier":
        directions = 2 if config.bidirectional else 1
        inputs = config.inputs or e
        embedding = 0 if config.inputs else v * e
        gates_w = gates * h
        first = gates_w * (inputs + h + 2)
        rest = (layers - 1) * gates_w * (directions * h + h + 2)
        return embedding + directions * (first + rest) + (directions * h + 1) * config.classes
    attention = (h * h + 2 * h * h + h) if config.attention else 0
    encoder = stack(h, 2 if config.bidirectional else 1)
    return 2 * v * e + encoder + stack(h) + attention + head


def training_memory(model: ModelConfig, batch: int, seq_len: int) -> int:
    """Bytes a training run needs, roughly: fp32 weights, gradients, two Adam moments and a
    weight average, plus the copies oneDNN and autocast make of the weights (8 in all, from a
    1.2-billion-parameter model that crashed at 21 GB estimated with 5), and the activations
    one window keeps for backpropagation."""
    gates = {"lstm": 4, "gru": 3, "rnn": 1}[model.cell]
    weights = 8 * 4 * count_parameters(model)
    per_token = model.layers * model.hidden * (gates + 2) + model.embed_size + 2 * model.vocab_size
    return weights + 4 * batch * seq_len * per_token


@dataclass
class TrainConfig:
    optimizer: str = "adamw"
    lr: float = 3e-3
    min_lr_ratio: float = 0.1  # cosine ends at lr × this
    weight_decay: float = 0.0
    average: float = 0.0  # decay of the weight average that is evaluated and saved; 0: none
    beta2: float = 0.99
    clip: float = 1.0
    clip_mode: str = "norm"
    # Train on the loss summed over each row's tokens (a window, a record) and averaged over
    # the batch, as Zaremba's TensorFlow script and the numpy names exercise do: their
    # learning rates and clipping thresholds act on that sum. Reported losses stay per token.
    loss_sum: bool = False
    # Spread this share of each target's probability over the whole vocabulary (Szegedy et al.):
    # the training loss only; evaluation scores the true distribution.
    label_smoothing: float = 0.0
    schedule: str = "cosine"
    decay: float = 0.5  # step schedule: lr × decay^(epoch − decay_after) after decay_after
    decay_after: int = 4
    warmup: int = 50  # steps of linear warm-up
    # Images: each training example is moved by up to this many pixels in each direction
    # (a fresh random shift every time it is read), so the model learns digits, not places.
    shift: int = 0
    rotate: float = 0.0  # images: and turned by up to this many degrees either way
    scale: float = 0.0  # images: and grown or shrunk by up to this fraction
    elastic: float = 0.0  # images: and warped, pixels moving by up to about this many
    batch: int = 64
    seq_len: int = 128  # TBPTT window (streams); longest record (records)
    minutes: float | None = None
    epochs: float | None = None
    steps: int | None = None
    # steps; 0: ten times over the budget. A minutes budget defers any that would take its
    # evaluations past EVAL_SHARE of the clock.
    eval_every: int = 0
    eval_per_epoch: bool = False  # evaluate at the end of every epoch (the PTB recipes do)
    sample_every: int = 0  # steps; 0: with every evaluation
    sample_length: int = 200
    checkpoint_minutes: float = 1.0  # latest checkpoint at least this often (wall clock)
    seed: int = 1337
    device: str = "auto"
    precision: str = "auto"
    threads: int = 0  # CPU threads for training; 0: chosen from the free cores as it runs
    # Training processes on this machine, data-parallel (engine.train.team); the global batch
    # and the learning rate are these settings whatever the count, so a preset means one run.
    nproc: int = 1
    # The embeddings keep the weights they start with (a model continued on new text: its
    # old tokens keep their meaning; with tied weights the output layer's weights too).
    freeze_embeddings: bool = False

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise PoetuiError(f"Unknown optimizer '{self.optimizer}'; use {', '.join(OPTIMIZERS)}.")
        if self.schedule not in SCHEDULES:
            raise PoetuiError(f"Unknown schedule '{self.schedule}'; use {', '.join(SCHEDULES)}.")
        if self.clip_mode not in CLIP_MODES:
            raise PoetuiError("Clipping is either 'norm' or 'value'.")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise PoetuiError("The label smoothing must be at least 0 and below 1.")
        if not 0.0 <= self.average < 1.0:
            raise PoetuiError("The weight-average decay must be at least 0 and below 1.")
        if not (math.isfinite(self.lr) and self.lr > 0) or self.batch < 1 or self.seq_len < 2 \
                or not isinstance(self.batch, int) or not isinstance(self.seq_len, int):
            raise PoetuiError("Learning rate, batch and sequence length must be positive.")
        if self.steps is not None and not isinstance(self.steps, int):
            raise PoetuiError("The steps budget is a whole number of steps.")
        for name in BUDGETS:
            value = getattr(self, name)
            if value is None:
                continue
            # Compared, not converted: math.isfinite of a 400-digit whole number overflows.
            if value != value or not value > 0:
                raise PoetuiError(f"The {name} budget must be a number above 0 (not {value}).")
            if value > MAX_BUDGET[name]:
                raise PoetuiError(f"The {name} budget can be at most {BUDGET_LIMIT_WORDS[name]}; "
                                  "give a smaller one.")
        for name, what, zero in (("eval_every", "evaluation", "evaluate ten times over the budget"),
                                 ("sample_every", "sample", "sample with every evaluation")):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise PoetuiError(f"The {what} interval is a whole number of steps: 1 or more, "
                                  f"or 0 to {zero} (not {value}).")
        if not 0 <= self.seed <= MAX_SEED:
            raise PoetuiError(f"The seed must be between 0 and {MAX_SEED}.")
        for name in ("clip", "weight_decay", "min_lr_ratio", "beta2", "decay",
                     "checkpoint_minutes"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise PoetuiError(f"{name.replace('_', ' ')} must be a number of 0 or more.")
        if isinstance(self.shift, bool) or not isinstance(self.shift, int) \
                or not 0 <= self.shift <= 8:
            raise PoetuiError("The shift is how many pixels an image may move while training: "
                              f"a whole number from 0 to 8 (not {self.shift}).")
        if not (math.isfinite(self.rotate) and 0 <= self.rotate <= 45):
            raise PoetuiError("The rotation is how many degrees an image may turn while "
                              f"training: 0 to 45 (not {self.rotate}).")
        if not (math.isfinite(self.scale) and 0 <= self.scale <= 0.5):
            raise PoetuiError("The scale is the fraction an image may grow or shrink by while "
                              f"training: 0 to 0.5 (not {self.scale}).")
        if not (math.isfinite(self.elastic) and 0 <= self.elastic <= 8):
            raise PoetuiError("The elastic warp is how many pixels an image's parts may move "
                              f"while training: 0 to 8 (not {self.elastic}).")
        if self.threads < 0:
            raise PoetuiError("The thread count is a number of CPU threads: 1 or more, or 0 for "
                              "automatic.")
        if isinstance(self.nproc, bool) or not isinstance(self.nproc, int) or self.nproc < 1:
            raise PoetuiError(f"The number of training processes is a whole number of 1 or more "
                              f"(not {self.nproc}).")
        if self.nproc > self.batch:
            raise PoetuiError(f"{self.nproc} training processes need a batch of at least "
                              f"{self.nproc} (each takes its share of the batch's rows), not "
                              f"{self.batch}; give a larger --batch or a smaller --nproc.")
        if not (self.minutes or self.epochs or self.steps):
            self.epochs = 10

    @classmethod
    def from_json(cls, data: dict) -> TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def budget_text(self) -> str:
        if self.steps:
            return f"{self.steps} steps"
        if self.minutes:
            return f"{self.minutes:g} min"
        return f"{self.epochs:g} epochs"


@dataclass
class SampleConfig:
    length: int = 300  # tokens at most (per item, for records models)
    temperature: float = 0.8
    top_k: int = 0  # 0: no limit
    top_p: float = 1.0  # 1.0: no nucleus cut
    greedy: bool = False
    seed: int | None = None  # one seed reproduces a whole list of items
    stop: str | None = None  # stop once the output contains this string
    # Word models stand a rare word for <unk>; writing it is never what a user wants, and a
    # model that may write it falls into <unk> loops. A prime's unknown words still read as it.
    allow_unk: bool = False

    def __post_init__(self) -> None:
        if not self.greedy and not (self.temperature > 0 and math.isfinite(self.temperature)):
            raise ValueError("the temperature must be a finite number above 0, such as 0.8 "
                             f"(not {self.temperature}), or choose greedy decoding")
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top-p must be above 0 and at most 1 (not {self.top_p})")
        if self.top_k < 0:
            raise ValueError(f"top-k must be 0 (no limit) or more (not {self.top_k})")
        if self.length < 1:  # 0 wrote nothing and said nothing
            raise ValueError(f"the length must be at least 1 token (not {self.length})")
        if self.seed is not None and not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"the seed must be between 0 and {MAX_SEED}")
