"""The new-model screen's right-hand side: what the chosen corpus is, and what the model costs."""

from __future__ import annotations

from textual.widgets import Static

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


class EstimateReport(Static):
    def pending(self) -> None:
        self.set_class(False, "-error")
        self.update("Estimating parameters and time per epoch…")

    def show(self, estimate: dict | None, error: str | None) -> None:
        self.set_class(error is not None, "-error")
        if error is not None:
            self.update(error)
            return
        assert estimate is not None
        seconds = estimate.get("seconds_per_epoch")
        per_epoch = fmt.duration(seconds) if seconds is not None else "—"
        self.update(
            f"[b]{estimate['parameters']:,}[/b] parameters · vocabulary "
            f"{estimate['vocab_size']:,}\n"
            f"{estimate['steps_per_epoch']:,} steps per epoch · about [b]{per_epoch}[/b] "
            "per epoch on this machine"
        )
