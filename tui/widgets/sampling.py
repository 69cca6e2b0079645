"""The writing desk's sampling controls, adjusted by keys while the widget has focus."""

from __future__ import annotations

from textual.binding import Binding
from textual.reactive import reactive
from textual.widgets import Static


class SamplingControls(Static, can_focus=True):
    BINDINGS = [
        Binding("t", "adjust('temperature', 0.1)", "Temp+", id="controls.temp_up"),
        Binding("T", "adjust('temperature', -0.1)", "Temp-", id="controls.temp_down"),
        Binding("k", "adjust('top_k', 5)", "Top-k+", id="controls.k_up"),
        Binding("K", "adjust('top_k', -5)", "Top-k-", id="controls.k_down"),
        Binding("p", "adjust('top_p', 0.05)", "Top-p+", id="controls.p_up"),
        Binding("P", "adjust('top_p', -0.05)", "Top-p-", id="controls.p_down"),
        Binding("l", "adjust('length', 50)", "Len+", id="controls.len_up"),
        Binding("L", "adjust('length', -50)", "Len-", id="controls.len_down"),
        Binding("n", "adjust('count', 1)", "Items+", id="controls.count_up"),
        Binding("N", "adjust('count', -1)", "Items-", id="controls.count_down"),
        Binding("s", "adjust('seed', 1)", "Seed+", id="controls.seed"),
        Binding("x", "random_seed", "Random seed", id="controls.random"),
        Binding("g", "toggle_greedy", "Greedy", id="controls.greedy"),
    ]

    # The limits keep every value one SampleConfig accepts.
    LIMITS = {"temperature": (0.1, 3.0), "top_k": (0, 500), "top_p": (0.05, 1.0),
              "length": (50, 5000), "count": (1, 50), "seed": (0, 2**31)}

    temperature: reactive[float] = reactive(0.8)
    top_k: reactive[int] = reactive(0)
    top_p: reactive[float] = reactive(1.0)
    length: reactive[int] = reactive(300)
    count: reactive[int] = reactive(1)
    seed: reactive[int | None] = reactive(None)
    greedy: reactive[bool] = reactive(False)

    def __init__(self, records: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.records = records

    def render(self) -> str:
        seed = "random" if self.seed is None else str(self.seed)
        parts = [
            "greedy" if self.greedy else f"temp {self.temperature:.1f}",
            f"top-k {self.top_k or 'off'}",
            f"top-p {self.top_p:.2f}",
            f"length {self.length}",
            f"seed {seed}",
        ]
        if self.records:
            parts.append(f"items {self.count}")
        hint = "" if self.has_focus else "   (tab here to adjust)"
        return " · ".join(parts) + hint

    def on_focus(self) -> None:
        self.refresh()

    def on_blur(self) -> None:
        self.refresh()

    def action_adjust(self, name: str, step: float) -> None:
        low, high = self.LIMITS[name]
        value = getattr(self, name)
        if value is None:  # the seed starts random; the first press fixes it at 0
            value = -step
        new = min(high, max(low, value + step))
        setattr(self, name, round(new, 2) if isinstance(step, float) else int(new))

    def action_random_seed(self) -> None:
        self.seed = None

    def action_toggle_greedy(self) -> None:
        self.greedy = not self.greedy

    def settings(self) -> dict:
        return {"length": self.length, "temperature": self.temperature, "top_k": self.top_k,
                "top_p": self.top_p, "greedy": self.greedy, "seed": self.seed}
