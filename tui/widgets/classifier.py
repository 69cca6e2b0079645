"""What a classifier's screens show: accuracy beside the loss, the confusion matrix as a small
heat grid, a held-out digit as the run drew it, a 28×28 canvas to draw on, and class
probabilities (after each row of the canvas, and as bars)."""

from __future__ import annotations

from statistics import mean

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Label, Sparkline, Static

from tui.widgets import format as fmt

SIDE = 28
INK = 96  # as engine.data.labelled draws digits: a pixel this dark is ink
GLYPHS = (" ", "▄", "▀", "█")  # by (upper pixel inked, lower pixel inked)
HEAT = " ░▒▓█"  # light to dark: a probability or a share of a row of the confusion matrix


def heat(share: float) -> str:
    return HEAT[min(len(HEAT) - 1, int(round(max(0.0, share) * (len(HEAT) - 1))))]


class AccuracySparklines(Vertical):
    """Training loss per step and held-out accuracy per evaluation, side by side in time."""

    def compose(self) -> ComposeResult:
        with Horizontal(classes="spark-row-1"):
            yield Label("loss", classes="spark-label")
            yield Sparkline([], summary_function=mean, id="cls-loss-spark")
            yield Label("", id="cls-loss-value", classes="cls-value")
        with Horizontal(classes="spark-row-1"):
            yield Label("acc", classes="spark-label")
            yield Sparkline([], summary_function=mean, id="cls-acc-spark")
            yield Label("", id="cls-acc-value", classes="cls-value")
        yield Label("", id="cls-numbers", classes="cls-numbers")

    def show(self, losses: list[float], accuracies: list[float], step: dict | None) -> None:
        self.query_one("#cls-loss-spark", Sparkline).data = list(losses)
        self.query_one("#cls-acc-spark", Sparkline).data = list(accuracies)
        self.query_one("#cls-loss-value", Label).update(fmt.loss(losses[-1] if losses else None))
        self.query_one("#cls-acc-value", Label).update(
            f"{accuracies[-1]:.1%}" if accuracies else fmt.DASH)
        s = step or {}
        self.query_one("#cls-numbers", Label).update(
            f"step {fmt.num(s.get('step'))} · epoch {fmt.num(s.get('epoch'))} · "
            f"{fmt.num(s.get('tokens_per_second'), ',.0f')} examples/s · "
            f"{fmt.duration(s.get('elapsed'))}")


class ConfusionGrid(Static):
    """Rows: the true class; columns: what the model read. Each cell's shade is its share of
    its row (the diagonal is reading right); the count is written in it; each row ends with
    that class's accuracy."""

    def show(self, confusion: list[list[int]] | None, classes: list[str]) -> None:
        if not confusion:
            self.update("The confusion matrix comes with the first evaluation.")
            return
        width = max(2, *(len(c) for c in classes))
        text = Text(" " * (width + 1) + "".join(f"{c[:2]:>3}" for c in classes) + "   acc\n",
                    style="dim")
        for label, row in zip(classes, confusion, strict=False):
            total = sum(row) or 1
            text.append(f"{label:>{width}} ", style="bold")
            for j, count in enumerate(row):
                share = count / total
                right = classes[j] == label
                colour = "green" if right else "red"
                style = f"on {colour}" if share >= 0.5 else \
                    f"{colour}" if count else "dim"
                text.append(f"{count:>3}" if count else "  ·", style=style)
            correct = row[classes.index(label)] if label in classes else 0
            text.append(f" {correct / total:>4.0%}\n", style="dim")
        self.update(text)


class DigitSample(Static):
    """The newest live sample of an image classifier: its first held-out digit as drawn,
    with its true class, what the model read and how sure it was; the others' verdicts."""

    def show(self, text: str, separator: str = "\n\n") -> None:
        items = [item for item in text.split(separator) if item.strip()]
        if not items:
            return
        first, *rest = items
        lines = [first, *(item.splitlines()[-1] for item in rest)]
        self.update(Text("\n".join(lines)))


# -- the canvas -----------------------------------------------------------------------------------


class DigitCanvas(Widget, can_focus=True):
    """A 28×28 picture drawn in half blocks (two pixel rows per line). Paint and erase with
    the mouse (left button paints, right erases) or the keyboard (arrows move the pen,
    space paints, x erases, c clears). Posts ``Changed`` after each stroke."""

    DEFAULT_CSS = """
    DigitCanvas { width: 30; height: 16; border: round $panel-lighten-2; }
    DigitCanvas:focus { border: round $accent; }
    """
    pen: reactive[tuple[int, int]] = reactive((14, 14))  # (row, column) of the pen's pixel
    drawing: reactive[bool] = reactive(False)  # the pen is shown (keyboard drawing)

    class Changed(Message):
        def __init__(self, canvas: DigitCanvas) -> None:
            super().__init__()
            self.canvas = canvas

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.pixels = np.zeros((SIDE, SIDE), dtype=np.uint8)
        self._button = 0

    # -- what it holds ----------------------------------------------------------------------

    def load(self, image: np.ndarray) -> None:
        self.pixels = np.asarray(image, dtype=np.uint8).copy()
        self.refresh()

    def clear(self) -> None:
        self.pixels[:] = 0
        self.refresh()
        self.post_message(self.Changed(self))

    def stroke(self, row: int, column: int, ink: bool) -> None:
        """Ink (or rub out) a soft round dab of about MNIST's stroke width at the pixel."""
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                r, c = row + dr, column + dc
                if not (0 <= r < SIDE and 0 <= c < SIDE):
                    continue
                centre = dr == 0 and dc == 0
                if ink:
                    value = 255 if centre or (dr == 0 or dc == 0) else 160
                    self.pixels[r, c] = max(int(self.pixels[r, c]), value)
                elif centre or dr == 0 or dc == 0:
                    self.pixels[r, c] = 0
        self.refresh()
        self.post_message(self.Changed(self))

    # -- drawing ----------------------------------------------------------------------------

    def render_line(self, y: int):
        if y >= SIDE // 2:
            return Strip.blank(self.size.width)
        top, bottom = self.pixels[2 * y], self.pixels[2 * y + 1]
        segments = []
        pen_row, pen_col = self.pen
        for x in range(SIDE):
            # The glyph says where the ink is (so a plain-text copy of the screen still shows
            # the digit); its shade says how dark the ink is.
            up, down = int(top[x]) >= INK, int(bottom[x]) >= INK
            glyph = GLYPHS[up * 2 + down]
            shade = max(int(top[x]) if up else 0, int(bottom[x]) if down else 0)
            style = Style(color=_grey(max(shade, 120)))
            if self.drawing and pen_col == x and pen_row // 2 == y:
                glyph, style = ("▀" if pen_row % 2 == 0 else "▄"), Style(color="#ff8800")
            segments.append(Segment(glyph, style))
        return Strip(segments, SIDE)

    def move_pen(self, dr: int, dc: int) -> None:
        r, c = self.pen
        self.pen = (min(SIDE - 1, max(0, r + dr)), min(SIDE - 1, max(0, c + dc)))
        self.drawing = True

    def _pixel(self, event: events.MouseEvent) -> tuple[int, int] | None:
        offset = event.get_content_offset(self)
        if offset is None or not (0 <= offset.x < SIDE and 0 <= offset.y < SIDE // 2):
            return None
        # A cell is two pixel rows: the pen takes the pair's upper row; its dab covers both.
        return 2 * offset.y, offset.x

    def on_mouse_down(self, event: events.MouseDown) -> None:
        self._button = event.button
        self.capture_mouse()
        where = self._pixel(event)
        if where is not None:
            self.stroke(*where, ink=event.button != 3)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if not self._button:
            return
        where = self._pixel(event)
        if where is not None:
            self.stroke(*where, ink=self._button != 3)

    def on_mouse_up(self, event: events.MouseUp) -> None:
        self._button = 0
        self.release_mouse()


def _grey(value: int) -> str:
    v = int(value)
    return f"rgb({v},{v},{v})"


class RowProbabilities(Static):
    """Beside the canvas: after each pair of rows, how sure the model is of each class (one
    shade per class, darker is likelier) and its leading guess."""

    def show(self, rows: np.ndarray | None, classes: list[str]) -> None:
        self.border_title = "row " + "".join(c[:1] for c in classes)
        text = Text()
        if rows is None:
            self.update(text)
            return
        for y in range(SIDE // 2):
            after = rows[min(len(rows) - 1, 2 * y + 1)]
            best = int(after.argmax())
            text.append(f"{2 * y + 2:>2} ", style="dim")
            text.append("".join(heat(float(p)) for p in after))
            text.append(f" {classes[best]} {after[best]:.0%}\n")
        text.rstrip()
        self.update(text)


class ClassBars(Static):
    """The classes, likeliest first, as bars with their probabilities."""

    def show(self, probabilities: np.ndarray | None, classes: list[str], limit: int = 10,
             title: str = "") -> None:
        if probabilities is None:
            self.update(title)
            return
        width = max(1, *(len(c) for c in classes[:40]))
        order = np.argsort(-probabilities, kind="stable")[:limit]
        lines = [title] if title else []
        for i in order:
            p = float(probabilities[i])
            bar = "█" * int(round(p * 12))
            lines.append(f"{classes[i][:width]:>{width}} {bar:<12} {p:6.1%}")
        self.update("\n".join(lines))


class ClassifierPanel(Horizontal):
    """The middle of a classifier's dashboard: loss and accuracy, the confusion matrix, and a
    held-out digit from the newest live sample."""

    def compose(self) -> ComposeResult:
        with Vertical(id="cls-left"):
            yield AccuracySparklines(id="cls-curves")
            yield ConfusionGrid("", id="confusion")
        yield DigitSample("The first held-out digits come with the first evaluation.",
                          id="digit-sample")

    def on_mount(self) -> None:
        self.query_one("#cls-curves").border_title = "loss · held-out accuracy"
        self.query_one("#confusion").border_title = "confusion (rows: true class)"
        self.query_one("#digit-sample").border_title = "held-out digit"

    def show(self, losses: list[float], accuracies: list[float], step: dict | None,
             confusion: list[list[int]] | None, classes: list[str],
             sample: dict | None) -> None:
        self.query_one(AccuracySparklines).show(losses, accuracies, step)
        self.query_one(ConfusionGrid).show(confusion, classes)
        if sample is not None:
            self.query_one("#digit-sample").border_title = f"step {sample['step']:,}"
            self.query_one(DigitSample).show(sample["text"])
