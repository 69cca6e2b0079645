"""`poetui verse check [FILE|-]`: the tones and rhyme of Tang poems, one `title:poem` (or bare
poem) a line, by the rules of engine.generate.verse. Torch-free.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.data.textfile import decode, read_text_file
from engine.errors import PoetuiError
from engine.generate.verse import Summary, Verdict, check


def run(args: argparse.Namespace) -> int:
    text = _read(args.file)  # never blank: both readers refuse that in a sentence
    summary = Summary()
    verdicts = []
    for line in text.splitlines():
        if line.strip():
            verdict = check(line.strip())
            summary.add(verdict)
            verdicts.append(verdict)
    if args.json:
        json.dump({"poems": [v.as_dict() for v in verdicts], "summary": summary.as_dict()},
                  sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        return 0
    for number, verdict in enumerate(verdicts, 1):
        print(describe(number, verdict))
    print(summary.line())
    return 0


def describe(number: int, verdict: Verdict) -> str:
    """A poem's verdict as lines of text: a heading, then each line with its tones and breaks
    (the characters that break shown in brackets, with the tone the pattern wants)."""
    name = verdict.title or verdict.poem[:8]
    if not verdict.well_formed:
        return f"{number}. {name}: not well formed (4 or 8 lines of 5 or 7 characters, ，。，。)"
    word = "regulated" if verdict.regulated else f"not regulated ({len(verdict.breaks)} " \
        f"break{'s' * (len(verdict.breaks) != 1)}{'' if verdict.rhymes else ', no rhyme'})"
    assert verdict.pattern is not None
    rhymed = "first line rhymed" if verdict.pattern.first_rhymed else "first line unrhymed"
    out = [f"{number}. {name}: {word} · {verdict.pattern.start}, {rhymed} · rhyme "
           f"{verdict.rhyme_group or 'none'}"]
    for i, (line, marks) in enumerate(zip(verdict.lines, verdict.marks, strict=True), 1):
        broken = [b for b in verdict.breaks if b.line == i]
        shown = "".join(f"[{m}]" if any(b.position == j for b in broken) else m
                        for j, m in enumerate(marks, 1))
        notes = "  " + ", ".join(f"{b.position} {b.char} wants {b.wants}" for b in broken) \
            if broken else ""
        out.append(f"   {line}  {shown}{notes}")
    return "\n".join(out)


def _read(file: str) -> str:
    if file == "-":
        data = sys.stdin.buffer.read()
        if not data.strip():
            raise PoetuiError("Nothing came on standard input; pipe poems in, one a line, or "
                              "give a file.")
        return decode(data, "standard input").replace("\r\n", "\n")
    return read_text_file(Path(file))
