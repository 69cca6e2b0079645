"""The new-model screen's right-hand side: what the chosen corpus is, and what the model costs."""

from __future__ import annotations

from urllib.parse import urlparse

from textual.markup import escape
from textual.widgets import Static

from corpora.cards import Card
from tui.widgets import format as fmt


class CorpusReport(Static):
    """Size, vocabulary and a preview of the corpus, or the one sentence saying what is wrong."""

    def checking(self, spec: str) -> None:
        self.set_class(False, "-error")
        self.update(f"Checking {spec}…")

    def show(self, info: dict | None, error: str | None) -> None:
        self.set_class(error is not None, "-error")
        if error is not None:
            self.update(error)
            return
        assert info is not None
        if "examples" in info:  # labelled examples: what a classifier will learn to tell apart
            counts = ", ".join(f"{c} {n:,}" for c, n in list(info["per_class"].items())[:12])
            self.update(f"[b]{info['name']}[/b]  ({info['kind']})\n{info['examples']:,} "
                        f"labelled {info['examples_are']}, {info['classes']} classes\n\n"
                        f"{counts}")
            return
        lines = [
            f"[b]{info['name']}[/b]  ({info['kind']})",
            f"{info['characters']:,} characters, {info['distinct_characters']:,} distinct",
            f"{info['words']:,} words, {info['distinct_words']:,} distinct",
        ]
        if "records" in info:
            lines.append(f"{info['records']:,} records (one per line)")
        preview = info["preview"][:240].replace("[", r"\[")
        lines += ["", preview.rstrip() + " …"]
        self.update("\n".join(lines))


    def offer(self, card: Card, downloading: bool = False) -> None:
        """A catalog card that is not downloaded yet: what it is, and how to get it."""
        self.set_class(False, "-error")
        size = fmt.size(card.download_size) if card.download_size else "size unknown"
        host = urlparse(card.sources[0].url).hostname if card.sources else "the catalog"
        self.update("\n".join([
            f"[b]{card.name}[/b]  ({card.kind}, catalog)",
            escape(card.title),
            "",
            f"Not downloaded yet: {size} from {host}.",
            "Downloading it now (below)." if downloading
            else "[b]ctrl+f[/b] downloads it (once; then it works offline).",
        ]))


class EstimateReport(Static):
    """Parameters and what the whole budget costs. While a new estimate is worked out the last
    one stays on screen, marked as updating, so the panel does not flicker as the user types."""

    TITLE = "cost on this machine"
    _figure_shown = False

    def on_mount(self) -> None:
        self.border_title = self.TITLE

    def clear(self, text: str) -> None:
        self._figure_shown = False
        self.border_title = self.TITLE
        self.set_class(False, "-error")
        self.update(text)

    def pending(self) -> None:
        if self._figure_shown:
            self.border_title = f"{self.TITLE} · updating…"
        else:
            self.clear("Estimating the parameters and the training time…")

    def show(self, estimate: dict | None, error: str | None,
             budget: tuple[str, float, bool] | None = None, cost: dict | None = None) -> None:
        """``budget`` is (unit, amount, the preset's?); ``cost`` its seconds, steps, epochs."""
        self.border_title = self.TITLE
        self.set_class(error is not None, "-error")
        self._figure_shown = error is None
        if error is not None:
            self.update(error)
            return
        assert estimate is not None
        lines = [
            f"[b]{estimate['parameters']:,}[/b] parameters",
            f"vocabulary {estimate['vocab_size']:,}",
            f"{estimate['steps_per_epoch']:,} steps per epoch",
        ]
        if budget is not None:
            unit, amount, from_preset = budget
            whose = "preset's budget" if from_preset else "budget"
            amount_text = fmt.count(amount, unit, ",.0f" if unit == "steps" else "g")
            lines.append(f"{whose}: [b]{amount_text}[/b]")
            lines.append(self.cost_line(unit, cost))
        if estimate.get("busy"):
            lines.append(f"[b]The machine is busy[/b]: other work uses {estimate['busy']:g} of "
                         f"its {estimate['cores']} cores, so training may go slower than this.")
        self.update("\n".join(lines))

    @staticmethod
    def cost_line(unit: str, cost: dict | None) -> str:
        if cost is None:
            return "no time estimate (there was no batch to time)"
        took = fmt.roughly(cost["seconds"])
        steps, epochs = fmt.num(cost["steps"], ",.0f"), fmt.num(cost["epochs"], ",.1f")
        if unit == "minutes":
            return f"≈ [b]{steps}[/b] steps ({epochs} epochs)"
        if unit == "epochs":
            return f"≈ [b]{took}[/b] ({steps} steps)"
        return f"≈ [b]{took}[/b] ({epochs} epochs)"
