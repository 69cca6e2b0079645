"""The dashboard's numbers: the latest step and evaluation as the run store recorded them."""

from __future__ import annotations

from textual.widgets import Static

from tui.widgets import format as fmt
from tui.widgets.repaint import put_text


class MetricsPanel(Static):
    def show(self, step: dict | None, evaluation: dict | None,
             chrf: float | None = None, translating: bool = False) -> None:
        """``chrf``: a translation run's held-out chrF at its latest evaluation (0–1)."""
        s, e = step or {}, evaluation or {}
        # Ten rows fit the panel at 80×24: a translation run shows its chrF, the figure that
        # says how good the translations are, where a language model shows bits per token.
        quality = (("chrF", fmt.loss(chrf)) if translating
                   else ("bits/token", fmt.num(e.get("bits_per_token"), ".3f")))
        rows = [
            ("step", fmt.num(s.get("step"))),
            ("epoch", fmt.num(s.get("epoch"))),
            ("loss", fmt.loss(s.get("loss"))),
            ("val loss", fmt.loss(e.get("val_loss"))),
            ("perplexity", fmt.num(e.get("perplexity"), ",.2f")),
            quality,
            ("learning rate", fmt.num(s.get("lr"), ".2e")),
            ("grad norm", fmt.num(s.get("grad_norm"), ".3f")),
            ("tokens/s", fmt.num(s.get("tokens_per_second"), ",.0f")),
            # Snapshot tests freeze what moves with the clock.
            ("elapsed", fmt.duration(s.get("elapsed"))),
        ]
        put_text(self, "\n".join(f"[b]{k:>13}[/b]  {v}" for k, v in rows))
