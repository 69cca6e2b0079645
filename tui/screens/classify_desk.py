"""The desk of a classifier. An image model: browse held-out digits with ←/→, or draw one on a
28×28 canvas (mouse, or d then the arrows, space to paint, x to erase, c to clear) and watch
the model read it row by row: beside each pair of rows, how sure it is of each class after
reading them; at the right, the ten probabilities of the whole picture. A text model: type,
and the classes with their probabilities follow as you type.

The model is loaded and every reading is done in a thread (PyTorch never runs on the UI
thread); the widgets only show what it computed."""

from __future__ import annotations

import numpy as np
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Header, Input, Static

from engine.errors import PoetuiError
from engine.nn.threads import on_model_thread
from tui.widgets.classifier import ClassBars, DigitCanvas, RowProbabilities
from tui.widgets.key_footer import KeyFooter


class ClassifyDeskScreen(Screen):
    HELP_TITLE = "Classifier desk"
    HELP_TEXT = ("Browse held-out digits with ←/→, or draw: d (then arrows move the pen, space "
                 "paints, x erases), or the mouse (left paints, right erases); c clears. The "
                 "grid beside the canvas is what the model thinks after each pair of rows.")
    BINDINGS = [
        Binding("left", "browse(-1)", "Prev", id="classify.prev"),
        Binding("right", "browse(1)", "Next", id="classify.next"),
        Binding("d", "draw", "Draw", id="classify.draw"),
        Binding("c", "clear", "Clear", id="classify.clear"),
        Binding("escape", "back", "Back", id="classify.back"),
        Binding("up", "pen(-1, 0)", "Pen up", show=False, id="classify.up"),
        Binding("down", "pen(1, 0)", "Pen down", show=False, id="classify.down"),
        Binding("space", "ink(1)", "Paint", show=False, id="classify.paint"),
        Binding("x", "ink(0)", "Erase", show=False, id="classify.erase"),
    ]

    def __init__(self, name: str, which: str = "best") -> None:
        super().__init__()
        self.model_name, self.which = name, which
        self.classifier = None
        self.examples = None  # the held-out digits (engine.data.labelled.Labelled)
        self.index = 0
        self.rows: np.ndarray | None = None  # probabilities after each row, as last read
        self.reads_images = True

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="classify"):
            yield Static(f"Loading '{self.model_name}'…", id="classify-status")
            with Horizontal(id="classify-middle"):
                yield DigitCanvas(id="canvas")
                yield RowProbabilities(id="row-probabilities")
                yield ClassBars(id="class-bars")
            yield Input(placeholder="type a text to classify", id="classify-input")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#classify-input").display = False
        self.load()

    def set_status(self, text: str) -> None:
        self.query_one("#classify-status", Static).update(text)

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        try:
            from engine.generate.classify import held_out
            from engine.loading import load_model

            loaded = load_model(self.model_name, self.which)
            classifier = loaded.classifier()
            examples = held_out(loaded.folder) if classifier.reads_images else None
        except PoetuiError as exc:
            self.app.call_from_thread(self.set_status, str(exc))
            return
        self.app.call_from_thread(self.loaded, classifier, examples)

    def loaded(self, classifier, examples) -> None:
        self.classifier, self.examples = classifier, examples
        self.reads_images = classifier.reads_images
        if not self.reads_images:
            for widget in ("#canvas", "#row-probabilities"):
                self.query_one(widget).display = False
            box = self.query_one("#classify-input", Input)
            box.display = True
            box.focus()
            self.set_status(f"[b]{self.model_name}[/b] · type a text: its classes follow")
            return
        self.query_one(DigitCanvas).focus()
        self.show_example()

    # -- browsing and drawing ---------------------------------------------------------------------

    def show_example(self) -> None:
        if self.examples is None or not len(self.examples):
            self.set_status(f"[b]{self.model_name}[/b] · no held-out digits: draw one (d)")
            return
        self.index %= len(self.examples)
        canvas = self.query_one(DigitCanvas)
        canvas.drawing = False
        canvas.load(self.examples.images[self.index])
        self.set_status(f"[b]{self.model_name}[/b] · held-out digit {self.index + 1:,} of "
                        f"{len(self.examples):,} · true class "
                        f"[b]{self.examples.labels[self.index]}[/b] · ←/→ browse · d draw")
        self.read(canvas.pixels.copy())

    def action_browse(self, step: int) -> None:
        canvas = self.query_one(DigitCanvas)
        if canvas.drawing:
            canvas.move_pen(0, step)
            return
        if self.reads_images and self.classifier is not None:
            self.index += step
            self.show_example()

    def action_pen(self, dr: int, dc: int) -> None:
        canvas = self.query_one(DigitCanvas)
        if canvas.drawing:
            canvas.move_pen(dr, dc)

    def action_draw(self) -> None:
        if not self.reads_images:
            return
        canvas = self.query_one(DigitCanvas)
        canvas.drawing = True
        canvas.clear()
        self.set_status(f"[b]{self.model_name}[/b] · your drawing · arrows move the pen, space "
                        "paints, x erases, c clears, escape ends drawing")

    def action_ink(self, ink: int) -> None:
        canvas = self.query_one(DigitCanvas)
        if canvas.drawing:
            canvas.stroke(*canvas.pen, ink=bool(ink))

    def action_clear(self) -> None:
        if self.reads_images:
            canvas = self.query_one(DigitCanvas)
            canvas.drawing = True
            canvas.clear()

    def action_back(self) -> None:
        canvas = self.query_one(DigitCanvas)
        if canvas.drawing and self.examples is not None and len(self.examples):
            self.show_example()
        else:
            self.app.pop_screen()

    def on_digit_canvas_changed(self, message: DigitCanvas.Changed) -> None:
        self.read(message.canvas.pixels.copy())

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.classifier is not None:
            self.read_text(event.value)

    # -- reading, in a thread ---------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="read")
    def read(self, pixels: np.ndarray) -> None:
        if self.classifier is None:
            return
        # On the model thread, as all of the app's PyTorch work (engine.nn.threads).
        rows = on_model_thread(lambda: self.classifier.after_each_row(pixels))
        self.app.call_from_thread(self.show_rows, rows)

    def show_rows(self, rows: np.ndarray) -> None:
        self.rows = rows
        classes = self.classifier.classes
        self.query_one(RowProbabilities).show(rows, classes)
        self.query_one(ClassBars).show(rows[-1], classes, title="after all 28 rows")

    @work(thread=True, exclusive=True, group="read")
    def read_text(self, text: str) -> None:
        probabilities = on_model_thread(
            lambda: self.classifier.probabilities([text])[0]) if text.strip() else None
        self.app.call_from_thread(self.show_text, probabilities)

    def show_text(self, probabilities) -> None:
        self.query_one(ClassBars).show(probabilities, self.classifier.classes,
                                       title="classes, likeliest first")
