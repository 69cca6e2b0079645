"""The live sample panel: the newest text the training run wrote, so you can see it learn. A
Tang model's poems show their tones (tui.widgets.verse)."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static


class SamplePanel(VerticalScroll):
    def compose(self):
        yield Static("The first sample appears at the first evaluation.", id="sample-text",
                     markup=False)

    def show(self, sample: dict) -> None:
        """Show a row of the run store's samples; its novelty beside the step when it has one
        (a run store written before poetui measured novelty has no such column)."""
        novelty = sample.get("novelty")
        new = f" · {novelty:.0%} new" if novelty is not None else ""
        self.border_title = f"sample at step {sample['step']:,}{new}"
        text = sample["text"]
        if "，" in text and "。" in text:  # poems, perhaps: coloured by tone where they are
            from tui.widgets.verse import toned_text

            text = toned_text(text)
        self.query_one("#sample-text", Static).update(text)
        self.scroll_home(animate=False)
