"""Text as the model's tokens: coloured by surprisal when asked (with the legend), a cursor on
one token, and that token's probability and the likeliest alternatives at its place."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from engine.generate.loom import Token
from tui.widgets.surprisal import colour, legend

ALTERNATIVES = 10  # shown for the token under the cursor


def shown(token: str) -> str:
    """A token as a label: whitespace made visible."""
    return token.replace("\n", "↵").replace(" ", "␣").replace("\t", "⇥") or "∅"


class TokenView(Vertical, can_focus=True):
    """``show`` a list of tokens; ←/→ (or the owner's keys, through ``move``) move the cursor.
    ``lead`` is text before the tokens (a prompt) that the model did not write."""

    BINDINGS = [
        Binding("left", "move(-1)", "Token ←", show=False, id="tokens.left"),
        Binding("right", "move(1)", "Token →", show=False, id="tokens.right"),
        Binding("home", "move(-1000000)", show=False, id="tokens.home"),
        Binding("end", "move(1000000)", show=False, id="tokens.end"),
    ]

    colours: reactive[bool] = reactive(True)
    cursor: reactive[int] = reactive(-1)  # index of the token under the cursor; -1: none

    def __init__(self, keys: bool = True, **kwargs) -> None:
        super().__init__(**kwargs)
        self.keys = keys  # whether ←/→ are its own (the loom walks the tree with them)
        self.lead = ""
        self.tokens: list[Token] = []
        self.note = ""  # said under the text, after the token's line (what to press)

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="tokens-scroll"):
            yield Static("", classes="tokens-body")
        yield Static("", classes="tokens-detail")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.keys if action == "move" else True

    def show(self, tokens: list[Token], lead: str = "", cursor: int | None = None) -> None:
        self.lead, self.tokens = lead, tokens
        self.cursor = (len(tokens) - 1) if cursor is None else min(cursor, len(tokens) - 1)
        self.paint()

    def action_move(self, delta: int) -> None:
        self.move(delta)

    def move(self, delta: int) -> None:
        if self.tokens:
            self.cursor = max(0, min(len(self.tokens) - 1, self.cursor + delta))

    def watch_cursor(self) -> None:
        self.paint()

    def watch_colours(self) -> None:
        self.paint()

    @property
    def token(self) -> Token | None:
        return self.tokens[self.cursor] if 0 <= self.cursor < len(self.tokens) else None

    def paint(self) -> None:
        if not self.is_mounted:
            return
        body = Text(self.lead, style="bold")
        for i, token in enumerate(self.tokens):
            style = colour(token.surprisal) if self.colours else ""
            piece = token.piece
            if i == self.cursor:
                # A newline under the cursor shows as ↵ (a reversed line end shows nothing).
                style = f"{style} reverse".strip()
                piece = piece.replace("\n", "↵\n") if piece.strip(" ") == "\n" else piece
            body.append(piece, style=style)
        self.query_one(".tokens-body", Static).update(body)
        self.query_one(".tokens-detail", Static).update(self.detail())
        if self.cursor == len(self.tokens) - 1:  # once the new text is laid out
            scroll = self.query_one(".tokens-scroll", VerticalScroll)
            self.call_after_refresh(scroll.scroll_end, animate=False)

    def detail(self) -> Text:
        """The legend, then the token under the cursor: its probability and alternatives."""
        lines = Text()
        if self.colours:
            lines.append_text(legend())
        token = self.token
        if token is None:
            lines.append("\n" + self.note if self.note else "")
            return lines
        lines.append("\n")
        if token.surprisal is None:
            lines.append(f"{shown(token.piece.strip(' ') or token.piece)}: typed, not written "
                         "by the model")
        else:
            p = f"p {token.probability:.3f} · " if token.probability is not None else ""
            lines.append(f"{shown(token.piece.strip(' ') or token.piece)}", style="bold")
            lines.append(f"  {p}{token.surprisal:.2f} bits · likeliest here:")
            # Packed by hand: a token and its probability never part at a line's end.
            width, used = max(20, self.content_size.width), 0
            for i, tok, prob in token.alternatives[:ALTERNATIVES]:
                item = f"{shown(tok)[:10]} {prob:.3f}"
                if used == 0 or used + 2 + len(item) > width:
                    lines.append("\n")
                    used = 0
                else:
                    lines.append("  ")
                    used += 2
                lines.append(item, style="bold" if i == token.id else "")
                used += len(item)
        if self.note:
            lines.append("\n" + self.note)
        return lines
