"""Tang poems with their tones: level (平) and oblique (仄) characters in two colours, a
character that breaks the pattern marked, and the verdict (pattern, rhyme group, regulated or
not) as engine.generate.verse gives it. The desk shows its last poem so; the dashboard's live
samples colour a quatrain model's poems the same way."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from engine.generate.verse import Verdict, check

STYLES = {"平": "bold cyan", "仄": "bold yellow", "◎": "green", "？": "dim"}
BREAK = "bold white on red"
LEGEND = ("[bold cyan]平[/] level", "[bold yellow]仄[/] oblique", "[green]◎[/] either",
          "[bold white on red]字[/] breaks")  # one beside each of the first four lines


def toned_line(verdict: Verdict, index: int) -> Text:
    """Line ``index`` of a well-formed poem, each character in its tone's colour."""
    text = Text()
    broken = {b.position for b in verdict.breaks if b.line == index + 1}
    for j, (ch, mark) in enumerate(zip(verdict.lines[index], verdict.marks[index],
                                       strict=True), 1):
        text.append(ch, BREAK if j in broken else STYLES[mark])
    return text


def toned_record(record: str) -> Text | None:
    """A `title:poem` record (or a bare poem) coloured by tone; None when it is not a
    well-formed poem (it is then shown as it is)."""
    verdict = check(record)
    if not verdict.well_formed:
        return None
    text = Text(f"{verdict.title}:" if verdict.title else "", style="dim")
    ends = "，。"
    for i in range(len(verdict.lines)):
        text.append_text(toned_line(verdict, i))
        text.append(ends[i % 2])
    return text


def toned_text(text: str) -> Text:
    """Text of one record a line, each well-formed poem coloured by tone."""
    out = Text()
    for i, line in enumerate(text.split("\n")):
        if i:
            out.append("\n")
        out.append_text(toned_record(line.strip()) or Text(line))
    return out


def verdict_words(verdict: Verdict) -> str:
    """The verdict in a few words: regulated or how many breaks, the pattern, the rhyme."""
    if not verdict.well_formed or verdict.pattern is None:
        return "not a well-formed poem"
    breaks = len(verdict.breaks)
    word = "regulated" if verdict.regulated else \
        f"{breaks} break{'s' * (breaks != 1)}" + ("" if verdict.rhymes else ", no rhyme")
    rhymed = "first line rhymed" if verdict.pattern.first_rhymed else "first line unrhymed"
    return (f"{word} · {verdict.pattern.start}, {rhymed} · rhyme "
            f"{verdict.rhyme_group or 'none'}")


class ToneMarks(Static):
    """A poem's lines with their tones (the desk's last poem), the verdict and what the mask
    cost on one line above them, and the colours' legend beside them: five lines in all."""

    def show_poem(self, record: str, pruned: list[float] | None = None) -> None:
        verdict = check(record)
        if not verdict.well_formed:
            self.update(Text("tones: the last poem is not well formed", style="dim"))
            return
        out = Text.from_markup(f"[b]tones[/b] {verdict_words(verdict)}")
        if pruned:  # the share of the model's probability the mask took, a choice on average
            out.append(f" · mask took {sum(pruned) / len(pruned):.0%}")
        for i, marks in enumerate(verdict.marks):
            out.append("\n  ")
            out.append_text(toned_line(verdict, i))
            out.append("  ")
            broken = {b.position for b in verdict.breaks if b.line == i + 1}
            for j, mark in enumerate(marks, 1):
                out.append(mark, BREAK if j in broken else STYLES[mark])
            if i < len(LEGEND):
                out.append("   ")
                out.append_text(Text.from_markup(LEGEND[i]))
        self.update(out)
