"""What a training run reports. The trainer emits these; a CLI, the TUI and tests listen."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass
class StepEvent:
    step: int
    epoch: int
    epoch_progress: float  # 0..1 within the current epoch
    progress: float  # 0..1 of the whole budget
    loss: float  # training loss, nats per token
    lr: float
    grad_norm: float
    tokens_per_second: float
    elapsed: float  # seconds the run has been going (evaluations included, pauses excluded)
    eta: float | None  # seconds left, when the budget says
    tokens: int = 0  # tokens trained on so far (the chart's x in tokens compares batch sizes)
    kind: str = field(default="step", init=False)


@dataclass
class EvalEvent:
    step: int
    val_loss: float
    perplexity: float
    bits_per_token: float
    best: bool
    chrf: float | None = None  # translation models: chrF of held-out pairs (0–1)
    accuracy: float | None = None  # classifiers: share of held-out examples named right
    # Classifiers: counts of (true class, predicted class) over the held-out examples.
    confusion: list[list[int]] | None = None
    kind: str = field(default="eval", init=False)


@dataclass
class SampleEvent:
    step: int
    text: str
    # Share (0–1) of the sample's items, or of its 8-character / 4-word runs, that the training
    # text never holds (engine.generate.novelty); None when there is no such figure (a translator).
    novelty: float | None = None
    kind: str = field(default="sample", init=False)


@dataclass
class CheckpointEvent:
    step: int
    which: str  # latest | best
    kind: str = field(default="checkpoint", init=False)


@dataclass
class StateEvent:
    state: str  # training | paused | stopping
    kind: str = field(default="state", init=False)


@dataclass
class DoneEvent:
    model: str
    steps: int
    epochs: float
    val_loss: float | None
    best_val_loss: float | None
    train_loss: float | None
    tokens_per_second: float
    elapsed: float
    reason: str  # budget | stopped
    test_loss: float | None = None  # on the corpus's own test file, when it brings one (PTB)
    test_perplexity: float | None = None
    kind: str = field(default="done", init=False)


@dataclass
class RewindEvent:
    """The run went back to an earlier checkpoint (after diverging): history past ``step`` is
    void."""
    step: int
    message: str
    kind: str = field(default="rewind", init=False)


@dataclass
class ErrorEvent:
    message: str
    kind: str = field(default="error", init=False)


Event = (StepEvent | EvalEvent | SampleEvent | CheckpointEvent | StateEvent | DoneEvent
         | RewindEvent | ErrorEvent)


def to_dict(event: Event) -> dict:
    return asdict(event)
