"""The writing desk's sampling controls, adjusted by keys while the widget has focus."""

from __future__ import annotations

from rich.cells import cell_len
from textual.binding import Binding
from textual.geometry import Size
from textual.reactive import reactive
from textual.widgets import Static


class SamplingControls(Static, can_focus=True):
    """Each value shows beside its key, so the keys need no room in the footer (thirteen of
    them would push the desk's own keys out of it); the desk's help describes them."""

    # show=False: the line itself shows the keys.
    BINDINGS = [
        Binding("t", "adjust('temperature', 0.1)", "Temp+", show=False, id="controls.temp_up"),
        Binding("T", "adjust('temperature', -0.1)", "Temp-", show=False, id="controls.temp_down"),
        Binding("k", "adjust('top_k', 5)", "Top-k+", show=False, id="controls.k_up"),
        Binding("K", "adjust('top_k', -5)", "Top-k-", show=False, id="controls.k_down"),
        Binding("p", "adjust('top_p', 0.05)", "Top-p+", show=False, id="controls.p_up"),
        Binding("P", "adjust('top_p', -0.05)", "Top-p-", show=False, id="controls.p_down"),
        Binding("l", "adjust('length', 50)", "Len+", show=False, id="controls.len_up"),
        Binding("L", "adjust('length', -50)", "Len-", show=False, id="controls.len_down"),
        Binding("n", "adjust('count', 1)", "Items+", show=False, id="controls.count_up"),
        Binding("N", "adjust('count', -1)", "Items-", show=False, id="controls.count_down"),
        Binding("s", "adjust('seed', 1)", "Seed+", show=False, id="controls.seed"),
        Binding("x", "random_seed", "Random seed", show=False, id="controls.random"),
        Binding("g", "toggle_greedy", "Greedy", show=False, id="controls.greedy"),
        # Tang quatrain models only (see ``quatrains``).
        Binding("f", "toggle_form", "Form", show=False, id="controls.form"),
        Binding("w", "toggle_title", "Title", show=False, id="controls.title"),
        # Word models only (see ``words``).
        Binding("u", "toggle_unk", "<unk>", show=False, id="controls.unk"),
    ]

    # The limits keep every value one SampleConfig accepts.
    LIMITS = {"temperature": (0.1, 3.0), "top_k": (0, 500), "top_p": (0.05, 1.0),
              "length": (50, 5000), "count": (1, 50), "seed": (0, 2**31)}

    temperature: reactive[float] = reactive(0.8, layout=True)
    top_k: reactive[int] = reactive(0, layout=True)
    top_p: reactive[float] = reactive(1.0, layout=True)
    length: reactive[int] = reactive(300, layout=True)
    count: reactive[int] = reactive(1, layout=True)
    seed: reactive[int | None] = reactive(None, layout=True)
    greedy: reactive[bool] = reactive(False, layout=True)
    form: reactive[bool] = reactive(False, layout=True)  # held to 4 lines of 5, ，。，。
    title: reactive[bool] = reactive(True, layout=True)  # the poem's title shown
    allow_unk: reactive[bool] = reactive(False, layout=True)  # a word model may write <unk>

    def __init__(self, records: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.records = records
        self.quatrains = False  # a Tang quatrain model: the form can be asked for
        self.titled = False  # … and it writes titles, which can be hidden
        self.words = False  # a word model: <unk> can be let through

    SEPARATOR = " · "

    def parts(self) -> list[tuple[str, str]]:
        """(key, value) for each setting, in the order they show."""
        seed = "random" if self.seed is None else str(self.seed)
        parts = [
            ("g", "greedy") if self.greedy else ("t", f"temp {self.temperature:.1f}"),
            ("k", f"top-k {self.top_k or 'off'}"),
            ("p", f"top-p {self.top_p:.2f}"),
            ("l", f"length {self.length}"),
            ("s", f"seed {seed}"),
        ]
        if self.records:
            parts.append(("n", f"items {self.count}"))
        if self.quatrains:
            parts.append(("f", "form 4×5" if self.form else "form free"))
        if self.quatrains and self.titled:
            parts.append(("w", "with title" if self.title else "without title"))
        if self.words:
            parts.append(("u", "<unk> allowed" if self.allow_unk else "no <unk>"))
        return parts

    def lines(self, width: int) -> list[str]:
        """The settings packed into lines of ``width`` cells, never splitting one setting, and a
        line that says how to change them."""
        lines: list[str] = []
        plain = ""  # the current line without markup, to measure it
        for key, value in self.parts():
            item = f"{key} {value}"
            if lines and cell_len(plain + self.SEPARATOR + item) <= width:
                plain += self.SEPARATOR + item
                lines[-1] += f"{self.SEPARATOR}[b]{key}[/b] {value}"
            else:
                plain = item
                lines.append(f"[b]{key}[/b] {value}")
        lines.append("shift+key lowers · g greedy · x random seed" if self.has_focus
                     else "tab here to change these with their keys")
        return lines

    def render(self) -> str:
        return "\n".join(self.lines(self.size.width))

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.lines(width))

    def on_focus(self) -> None:
        self.refresh(layout=True)

    def on_blur(self) -> None:
        self.refresh(layout=True)

    def action_adjust(self, name: str, step: float) -> None:
        low, high = self.LIMITS[name]
        value = getattr(self, name)
        if value is None:  # the seed starts random; the first press fixes it at 0
            value = -step
        new = min(high, max(low, value + step))
        setattr(self, name, round(new, 2) if isinstance(step, float) else int(new))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_form":
            return self.quatrains
        if action == "toggle_title":
            return self.quatrains and self.titled
        if action == "toggle_unk":
            return self.words
        return True

    def action_toggle_form(self) -> None:
        self.form = not self.form

    def action_toggle_title(self) -> None:
        self.title = not self.title

    def action_toggle_unk(self) -> None:
        self.allow_unk = not self.allow_unk

    def action_random_seed(self) -> None:
        self.seed = None

    def action_toggle_greedy(self) -> None:
        self.greedy = not self.greedy

    def settings(self) -> dict:
        return {"length": self.length, "temperature": self.temperature, "top_k": self.top_k,
                "top_p": self.top_p, "greedy": self.greedy, "seed": self.seed,
                "allow_unk": self.allow_unk}
