"""The dashboard's numbers: the latest step and evaluation as the run store recorded them."""

from __future__ import annotations

from textual.widgets import Static

from tui.widgets import format as fmt


class MetricsPanel(Static):
    def show(self, step: dict | None, evaluation: dict | None) -> None:
        s, e = step or {}, evaluation or {}
        rows = [
            ("step", fmt.num(s.get("step"))),
            ("epoch", fmt.num(s.get("epoch"))),
            ("loss", fmt.loss(s.get("loss"))),
            ("val loss", fmt.loss(e.get("val_loss"))),
            ("perplexity", fmt.num(e.get("perplexity"), ",.2f")),
            ("bits/token", fmt.num(e.get("bits_per_token"), ".3f")),
            ("learning rate", fmt.num(s.get("lr"), ".2e")),
            ("grad norm", fmt.num(s.get("grad_norm"), ".3f")),
            ("tokens/s", fmt.num(s.get("tokens_per_second"), ",.0f")),
            # Snapshot tests freeze what moves with the clock.
            ("elapsed", fmt.duration(s.get("elapsed"))),
        ]
        self.update("\n".join(f"[b]{k:>13}[/b]  {v}" for k, v in rows))
