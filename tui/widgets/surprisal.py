"""How surprising a token was, as a colour: one scale for the desk and `poetui score`.

Surprisal is -log2 of the probability the model gave the token: 1 bit is a coin toss, 4 bits
one chance in 16. The bands double, so each colour step is a factor of 4 in probability.
Rich only (no Textual), so the command line can use it without loading the app.
"""

from __future__ import annotations

from rich.text import Text

# (upper bound in bits, colour, label): a token falls in the first band whose bound exceeds it.
BANDS = (
    (1.0, "green", "<1"),
    (3.0, "chartreuse3", "1–3"),
    (5.0, "yellow", "3–5"),
    (8.0, "dark_orange", "5–8"),
    (float("inf"), "red", "≥8"),
)


def colour(bits: float | None) -> str:
    """The colour of a token of ``bits`` surprisal; none for a token that was not scored."""
    if bits is None:
        return ""
    return next(c for bound, c, _ in BANDS if bits < bound)


def legend() -> Text:
    """The scale in one line: 'bits ■<1 ■1–3 …'."""
    text = Text("bits ")
    for _, c, label in BANDS:
        text.append("■", style=c).append(f"{label} ")
    return text


def coloured(pieces: list[tuple[str, float | None]]) -> Text:
    """Text of (piece, bits) runs, each piece in its band's colour."""
    text = Text()
    for piece, bits in pieces:
        text.append(piece, style=colour(bits))
    return text
