"""Pick the next token: the k likeliest next tokens with probability bars; 1–9 take one, space
samples one at the desk's settings, backspace undoes. Each token taken is one model step from
the position kept after the last (``engine.generate.sampler.Position``), never a re-run."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Static

from engine.config import SampleConfig
from engine.generate.loom import Token
from tui.widgets.writing.tokens import ALTERNATIVES, TokenView, shown

CHOICES = 9
BAR = 16  # cells of a bar at probability 1


def bar(probability: float, width: int = BAR) -> str:
    """A bar of eighths: ``width`` cells at probability 1."""
    eighths = round(probability * width * 8)
    return "█" * (eighths // 8) + ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")[eighths % 8]


class PickMode(Horizontal, can_focus=True):
    BINDINGS = [
        *[Binding(str(n), f"take({n})", show=False, id=f"pick.take{n}") for n in range(1, 10)],
        # The text's panel says these keys: the footer keeps the desk's.
        Binding("space", "sample", "Sample one", show=False, id="pick.sample"),
        Binding("backspace", "undo", "Undo", show=False, id="pick.undo"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sampler = None
        self.settings: Callable[[], SampleConfig] = SampleConfig
        self.stack: list = []  # engine Positions: [0] after the prompt, then one per token
        self.tokens: list[Token] = []
        self.prompt = ""
        self.generator = None

    def compose(self) -> ComposeResult:
        yield TokenView(keys=False, id="pick-text")
        yield Static("", id="pick-choices")

    def start(self, sampler, prompt: str, settings: Callable[[], SampleConfig]) -> None:
        """Begin again after ``prompt``; ``settings`` gives the desk's sampling settings."""
        from engine.generate.sampler import seeded

        self.sampler, self.settings, self.prompt = sampler, settings, prompt
        self.generator = seeded(settings())
        self.stack = [sampler.begin(sampler.prime(prompt))]
        self.tokens = []
        self.paint()

    @property
    def started(self) -> bool:
        return bool(self.stack)

    def choices(self):
        return self.stack[-1].top(CHOICES, self.settings()) if self.stack else []

    def paint(self) -> None:
        view = self.query_one(TokenView)
        view.note = "1–9 take one · space samples · ⌫ undoes"
        view.show(self.tokens, self.prompt)
        lines = Text()
        for n, choice in enumerate(self.choices(), start=1):
            if n > 1:
                lines.append("\n")
            lines.append(f"{n} ", style="bold")
            lines.append(f"{shown(choice.token)[:10]:<10} {choice.probability:5.3f} ")
            lines.append(bar(choice.probability), style="green")
        self.query_one("#pick-choices", Static).update(lines)

    def action_take(self, n: int) -> None:
        choices = self.choices()
        if n <= len(choices):
            self.write(choices[n - 1].id)

    def action_sample(self) -> None:
        if self.stack:
            self.write(self.stack[-1].draw(self.settings(), self.generator).id)

    def write(self, token: int) -> None:
        here = self.stack[-1]
        written = here.written(token, self.settings(), ALTERNATIVES)
        after = here.copy()
        after.feed(token)  # the one model step this token costs
        self.stack.append(after)
        self.tokens.append(Token.written(written))
        self.paint()

    def action_undo(self) -> None:
        if len(self.stack) > 1:
            self.stack.pop()
            self.tokens.pop()
            self.paint()

    @property
    def text(self) -> str:
        return self.prompt + "".join(t.piece for t in self.tokens)
