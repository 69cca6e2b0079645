"""The run chart: loss (raw, faded, under its debiased moving average; validation as points
joined by a line), a quality panel (chrF…), small panels for the learning rate, gradient norm
and tokens per second, a legend with the latest values, and beside them the cursor's readout
with the live sample taken nearest its step. Other runs overlay in their own colours.

The dashboard (and the library's view of a finished run) hands it ``RunHistory``s and tells it
when they grew; it keeps the view, the cursor and the smoothing, and asks engine.curves for the
numbers. Keys are its bindings (it takes focus when shown)."""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field

import numpy as np
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.widgets import Static

from engine import curves
from engine.curves import Smoother, View
from engine.storage.history import RunHistory
from tui.widgets import format as fmt
from tui.widgets.plot import Line, PlotPanel

# Runs' colours: this run first; another run's is fixed by its name, so it keeps its colour
# from one look to the next.
PALETTE = ("#4ea1ff", "#2ecc71", "#e056fd", "#f9ca24", "#48dbfb", "#ff6b6b", "#badc58",
           "#ff9ff3")
VALIDATION = "#ff9f43"  # this run's validation line
# The quality panel: evaluation columns with a figure of how good the model is, and how they
# read. The panel shows when a run in the chart has any value of one. (A classifier's accuracy
# comes with its kind; its run store column is "accuracy".)
QUALITY = (("chrf", "chrF"), ("accuracy", "accuracy"))
UNIT_WORDS = {"nats": "nats/token", "bits": "bits/token", "perplexity": "perplexity"}
DEFAULT_WEIGHT = 0.6  # TensorBoard's default smoothing


SUMMARISED = ("loss", "lr", "grad_norm", "tokens_per_second")  # step columns drawn as lines


@dataclass
class ChartRun:
    name: str
    history: RunHistory
    colour: str
    smoother: Smoother
    # Block summaries of the lines drawn from steps (and of the smoothed loss), so a view of
    # a long run is drawn from some 1/64 of its points.
    blocks: dict[str, curves.Blocks] = field(
        default_factory=lambda: {n: curves.Blocks() for n in (*SUMMARISED, "smoothed")})

    def sync(self, weight: float, cut: bool = False) -> None:
        """Smooth and summarise what is new (all again after a cut or a new weight)."""
        loss = self.history.step_column("loss")
        if cut or self.smoother.count > len(loss):
            for b in self.blocks.values():
                b.reset()
        if cut or self.smoother.weight != weight or self.smoother.count > len(loss):
            self.smoother.weight = weight
            self.smoother.refill(loss)
            self.blocks["smoothed"].reset()
        elif self.smoother.count < len(loss):
            self.smoother.extend(loss[self.smoother.count:])
        for name in SUMMARISED:
            self.blocks[name].update(self.history.step_column(name))
        self.blocks["smoothed"].update(self.smoother.out.values)

    def line(self, axis: str, column: str, colour: str, **how) -> Line:
        """A line of a step column (or "smoothed") against the x ``axis``."""
        y = self.smoother.out.values if column == "smoothed" else \
            self.history.step_column(column)
        return Line(self.x(axis), y, colour, blocks=self.blocks[column], **how)

    def x(self, axis: str) -> np.ndarray:
        return self.history.step_column({"step": "step", "tokens": "tokens",
                                         "time": "elapsed"}[axis])

    def eval_x(self, axis: str) -> np.ndarray:
        at = self.history.eval_column("step")
        if axis == "step":
            return at
        return curves.along(self.history.step_column("step"), self.x(axis), at)


def colour_for(name: str, taken: set[str]) -> str:
    start = zlib.crc32(name.encode()) % (len(PALETTE) - 1) + 1  # PALETTE[0] is this run's
    for k in range(len(PALETTE) - 1):
        colour = PALETTE[(start - 1 + k) % (len(PALETTE) - 1) + 1]
        if colour not in taken:
            return colour
    return PALETTE[start]


class RunChart(Horizontal):
    BINDINGS = [
        Binding("x", "x_axis", "X axis", tooltip="step, tokens seen, training time",
                id="chart.x_axis"),
        Binding("y", "log", "Log y", id="chart.log"),
        Binding("u", "unit", "Units", show=False, id="chart.unit"),
        Binding("o", "compare", "Compare", id="chart.compare"),
        Binding("left_square_bracket", "smoothing(-1)", "Less smoothing", key_display="[",
                show=False, id="chart.smooth_less"),
        Binding("right_square_bracket", "smoothing(1)", "More smoothing", key_display="]",
                show=False, id="chart.smooth_more"),
        Binding("plus,equals_sign", "zoom(0.5)", "Zoom in", key_display="+", show=False,
                id="chart.zoom_in"),
        Binding("minus", "zoom(2)", "Zoom out", key_display="-", show=False,
                id="chart.zoom_out"),
        Binding("left", "cursor(-1)", "Cursor left", key_display="←", show=False,
                id="chart.cursor_left"),
        Binding("right", "cursor(1)", "Cursor right", key_display="→", show=False,
                id="chart.cursor_right"),
        Binding("shift+left", "pan(-0.25)", "Pan left", key_display="shift+←", show=False,
                id="chart.pan_left"),
        Binding("shift+right", "pan(0.25)", "Pan right", key_display="shift+→", show=False,
                id="chart.pan_right"),
        Binding("0", "reset", "Reset view", show=False, id="chart.reset"),
    ]

    class CompareRequested(Message):
        """`o`: the screen opens its picker of runs (it knows the store)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.runs: list[ChartRun] = []
        self.weight = DEFAULT_WEIGHT
        self.log_y = False
        self.unit = "nats"
        self.x_axis = "step"
        self.view: View | None = None  # None: the whole run, following it
        self.cursor: float | None = None  # an x value; None: no cursor, the latest shown
        self._shown: dict[str, str] = {}  # the texts last put in the legend and the readout

    def show_and_focus(self) -> None:
        """Show the chart and give it the keys. (It is focusable only while shown: a screen
        focuses the first focusable widget it has, hidden or not.)"""
        self.display = True
        self.can_focus = True
        self.redraw()
        # Focus (its restyle, the footer's new keys) after the chart is on the screen: the
        # first paint after l waits for nothing but the chart.
        self.call_after_refresh(self.focus)

    def hide(self) -> None:
        self.display = self.can_focus = False

    def compose(self) -> ComposeResult:
        with Vertical(id="chart-left"):
            yield Static("", id="chart-legend")
            yield PlotPanel(id="chart-loss")
            yield PlotPanel(id="chart-quality", title=" ")
            with Horizontal(id="chart-small"):
                for key, title in (("lr", "learning rate"), ("grad", "grad norm"),
                                   ("tps", "tokens/s")):
                    yield PlotPanel(compact=True, title=title, id=f"chart-{key}")
        with Vertical(id="chart-right"):
            yield Static("", id="chart-readout")
            with VerticalScroll(id="chart-sample-box", can_focus=False):
                yield Static("", id="chart-sample", markup=False)

    # -- the runs --------------------------------------------------------------------------------

    def set_run(self, name: str, history: RunHistory) -> None:
        """This chart's own run (first, in the first colour)."""
        run = ChartRun(name, history, PALETTE[0], Smoother(self.weight))
        self.runs = [run] + [r for r in self.runs[1:] if r.name != name]

    def add_run(self, name: str, history: RunHistory) -> None:
        """Overlay another run (a second add of the same name replaces it)."""
        self.runs = [r for r in self.runs if r.name != name or r is self.runs[0]]
        taken = {r.colour for r in self.runs}
        self.runs.append(ChartRun(name, history, colour_for(name, taken), Smoother(self.weight)))
        self.redraw()

    def remove_run(self, name: str) -> None:
        self.runs = [r for r in self.runs if r.name != name or r is self.runs[0]]
        self.redraw()

    @property
    def compared(self) -> list[str]:
        return [r.name for r in self.runs[1:]]

    def grew(self, cut: bool = False) -> None:
        """The own run's history took in new rows (``cut``: it went back in time first), and
        the chart, when shown, follows it. How often that is the screen's polling says: a
        redraw in the same update as the poll's other changes is one repaint, not two."""
        if self.runs:
            self.runs[0].sync(self.weight, cut)
        if self.display:
            self.redraw()

    # -- drawing ---------------------------------------------------------------------------------

    def extent(self) -> tuple[float, float]:
        starts, ends = [], []
        for run in self.runs:
            x = run.x(self.x_axis)
            if len(x) and not math.isnan(x[0]):
                starts.append(float(x[0]))
                ends.append(float(x[-1]))
        return (min(starts), max(ends)) if starts else (0.0, 1.0)

    def current_view(self) -> View:
        start, end = self.extent()
        self.view = View.whole(start, end) if self.view is None else \
            self.view.grown(start, end)
        return self.view

    def redraw(self) -> None:
        for run in self.runs:
            run.sync(self.weight)
        view = self.current_view()
        span, axis = (view.lo, view.hi), self.x_axis
        loss, quality = [], []
        for i, run in enumerate(self.runs):
            # The other runs' raw lines would hide each other: only this run's is drawn.
            if i == 0 and self.weight > 0:
                loss.append(run.line(axis, "loss", run.colour, faded=True, unit=self.unit))
            loss.append(run.line(axis, "smoothed", run.colour, unit=self.unit))
            ex = run.eval_x(axis)
            loss.append(Line(ex, run.history.eval_column("val_loss"),
                             VALIDATION if i == 0 else run.colour, points=True, unit=self.unit))
        quality_name = None
        for column, words in QUALITY:
            if any(np.isfinite(r.history.eval_column(column)).any() for r in self.runs):
                quality_name = words
                quality = [Line(r.eval_x(axis), r.history.eval_column(column), r.colour,
                                points=True) for r in self.runs]
                break
        self.query_one("#chart-loss", PlotPanel).show(loss, span, self.log_y, axis, self.cursor)
        panel = self.query_one("#chart-quality", PlotPanel)
        panel.display = quality_name is not None
        if quality_name is not None:
            panel.set_title(quality_name)
            panel.show(quality, span, False, axis, self.cursor)
        if self.runs:
            own = self.runs[0]
            for key, column in (("lr", "lr"), ("grad", "grad_norm"),
                                ("tps", "tokens_per_second")):
                self.query_one(f"#chart-{key}", PlotPanel).show(
                    [own.line(axis, column, own.colour)], span, False, axis, self.cursor)
        self.show_legend()
        self.show_readout()

    def _put(self, selector: str, text: str) -> None:
        """Update a text only when it changed, without a new layout when its line count did
        not change (a layout repaints the whole screen: most of a cursor move's cost)."""
        widget = self.query_one(selector, Static)
        before = self._shown.get(selector)
        if text == before:
            return
        self._shown[selector] = text
        same_height = before is not None and before.count("\n") == text.count("\n")
        widget.update(text, layout=not same_height)

    def panels(self) -> list[PlotPanel]:
        return [p for p in self.query(PlotPanel) if p.display]

    def show_legend(self) -> None:
        parts = []
        for i, run in enumerate(self.runs):
            last = run.smoother.out.values[-1] if run.smoother.out.size else None
            val = run.history.eval_column("val_loss")
            shown = curves.in_unit(last, self.unit) if last is not None else None
            part = f"[{run.colour}]━[/] {escape(run.name)} {fmt.compact(shown)}"
            if len(val) and not math.isnan(val[-1]):
                part += (f" [{VALIDATION if i == 0 else run.colour}]•[/] val "
                         f"{fmt.compact(curves.in_unit(float(val[-1]), self.unit))}")
            parts.append(part)
        if self.runs and self.runs[0].history.overview:
            parts.append("[dim]reading every step…[/]")  # a sample of a long run, for now
        smoothing = f"smoothing {self.weight:g}" if self.weight else "smoothing off"
        parts.append(f"[dim]{UNIT_WORDS[self.unit]} · {smoothing}"
                     f"{' · log y' if self.log_y else ''} · x: {self.x_axis}[/]")
        self._put("#chart-legend", "  ".join(parts))

    def show_readout(self) -> None:
        if not self.runs or not len(self.runs[0].history):
            self._put("#chart-readout", "No steps recorded yet.")
            return
        own = self.runs[0]
        x = own.x(self.x_axis)
        at = self.cursor if self.cursor is not None else float(x[-1])
        i = curves.nearest(x, at)
        h = own.history
        step = int(h.step_column("step")[i])
        rows = [("step", f"{step:,}"),
                ("time", fmt.duration(float(h.step_column("elapsed")[i]))),
                ("tokens", fmt.compact(float(h.step_column("tokens")[i]))),
                ("train", fmt.compact(curves.in_unit(float(h.step_column("loss")[i]),
                                                     self.unit))),
                ("smoothed", fmt.compact(curves.in_unit(float(own.smoother.out.values[i]),
                                                        self.unit)))]
        j = curves.nearest(h.eval_column("step"), step)
        if j is not None:
            val = curves.in_unit(float(h.eval_column("val_loss")[j]), self.unit)
            rows.append(("val", f"{fmt.compact(val)} @{int(h.eval_column('step')[j]):,}"))
        rows.append(("lr", fmt.num(float(h.step_column("lr")[i]), ".2e")))
        for run in self.runs[1:]:
            k = curves.nearest(run.x(self.x_axis), at)
            if k is not None and run.smoother.out.size:
                value = curves.in_unit(float(run.smoother.out.values[k]), self.unit)
                rows.append((run.name[:10], fmt.compact(value)))
        title = "cursor" if self.cursor is not None else "latest"
        self._put("#chart-readout", f"[b]{title}[/b]\n" + escape(fmt.aligned(rows)))
        k = curves.nearest(h.sample_steps.values, step)
        if k is None:
            title, text = "sample", "No sample yet: the first comes with the first evaluation."
        else:
            title, text = f"sample at step {h.samples[k].step:,}", h.samples[k].text
        if text != self._shown.get("#chart-sample"):
            self._shown["#chart-sample"] = text
            sample = self.query_one("#chart-sample", Static)
            # A new layout repaints every widget on screen (most of a cursor move's cost):
            # only when the new sample wraps to another number of lines.
            width = sample.content_size.width
            same_height = width > 0 and sample.content_size.height == \
                Content(text).get_height(sample.styles, width)
            sample.update(text, layout=not same_height)
        self.query_one("#chart-sample-box").border_title = title

    # -- keys ------------------------------------------------------------------------------------

    def action_x_axis(self) -> None:
        axes = list(curves.X_AXES)
        if self.runs and not np.isfinite(self.runs[0].x("tokens")).any():
            axes.remove("tokens")  # a run store from before poetui recorded tokens seen
        nxt = axes[(axes.index(self.x_axis) + 1) % len(axes)] if self.x_axis in axes \
            else axes[0]
        # The cursor stays on its step.
        step = self.cursor_step()
        self.x_axis, self.view = nxt, None
        if step is not None and self.runs:
            own = self.runs[0]
            i = curves.nearest(own.history.step_column("step"), step)
            self.cursor = float(own.x(nxt)[i])
        self.redraw()

    def cursor_step(self) -> float | None:
        if self.cursor is None or not self.runs or not len(self.runs[0].history):
            return None
        own = self.runs[0]
        i = curves.nearest(own.x(self.x_axis), self.cursor)
        return float(own.history.step_column("step")[i])

    def action_log(self) -> None:
        self.log_y = not self.log_y
        self.redraw()

    def action_unit(self) -> None:
        self.unit = curves.UNITS[(curves.UNITS.index(self.unit) + 1) % len(curves.UNITS)]
        self.redraw()

    def action_smoothing(self, direction: int) -> None:
        self.weight = curves.next_weight(self.weight, up=direction > 0)
        self.redraw()

    def action_zoom(self, factor: float, about: float | None = None) -> None:
        view = self.current_view()
        start, end = self.extent()
        if about is None:
            about = self.cursor if self.cursor is not None else view.hi
        self.view = view.zoomed(factor, about, start, end)
        self.redraw()

    def action_pan(self, fraction: float) -> None:
        start, end = self.extent()
        self.view = self.current_view().panned(fraction, start, end)
        self.redraw()

    def action_reset(self) -> None:
        self.view, self.cursor = None, None
        self.redraw()

    def action_cursor(self, direction: int) -> None:
        view = self.current_view()
        if not self.runs or not len(self.runs[0].history):
            return
        x = self.runs[0].x(self.x_axis)
        width = self.query_one("#chart-loss", PlotPanel).plot_width
        step = (view.hi - view.lo) / max(width, 1)
        at = (self.cursor if self.cursor is not None else float(x[-1])) + direction * step
        i = curves.nearest(x, at)
        # Onto the next recorded point at least, when a column holds none.
        if self.cursor is not None and float(x[i]) == self.cursor:
            i = min(max(i + direction, 0), len(x) - 1)
        self.cursor = float(x[i])
        start, end = self.extent()
        if not view.lo <= self.cursor <= view.hi:  # the view follows the cursor
            shift = self.cursor - (view.hi if direction > 0 else view.lo)
            self.view = View(view.lo + shift, view.hi + shift, False).clamped(start, end)
            self.redraw()
            return
        for panel in self.panels():
            panel.move_cursor(self.cursor)
        self.show_readout()

    def action_compare(self) -> None:
        self.post_message(self.CompareRequested())

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._wheel(event, 0.8)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._wheel(event, 1.25)

    def _wheel(self, event: events.MouseEvent, factor: float) -> None:
        event.stop()
        about = None
        if self.cursor is None:
            panel = self.query_one("#chart-loss", PlotPanel)
            offset = event.get_content_offset(panel)
            if offset is not None:
                about = panel.x_at(offset.x)
        self.action_zoom(factor, about)
