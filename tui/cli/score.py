"""`poetui score NAME [TEXT] [--file PATH]` and `poetui sample NAME --json`: what the model
thinks of each token, as the command line shows it."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from engine.errors import PoetuiError


def read_input(args: argparse.Namespace) -> str:
    """TEXT, or the file, or stdin when neither is given."""
    if args.text is not None and args.file:
        raise PoetuiError("Give the text or --file, not both.")
    if args.file:
        from engine.corpus import read_text_file

        return read_text_file(Path(args.file))
    if args.text is not None:
        return args.text
    if sys.stdin.isatty():
        print("Reading the text to score from the terminal; end it with ctrl+d.",
              file=sys.stderr)
    try:
        return sys.stdin.read()
    except UnicodeDecodeError:
        raise PoetuiError("The text on stdin is not UTF-8; give it as UTF-8, or with --file."
                          ) from None


def run(args: argparse.Namespace) -> int:
    text = read_input(args)
    from engine.train.evaluate import score_text  # PyTorch, after the input is read

    scored = score_text(args.name, text)
    if args.json:
        for s in scored:
            print(json.dumps({"token": s.token, "id": s.id, "piece": s.piece,
                              "surprisal": None if s.surprisal is None
                              else round(s.surprisal, 6)}, ensure_ascii=False))
        return 0
    from rich.console import Console

    from tui.widgets.surprisal import coloured, legend

    total = sum(s.surprisal for s in scored if s.surprisal is not None)
    counted = sum(s.surprisal is not None for s in scored)
    console = Console(highlight=False)
    body = coloured([(s.piece, s.surprisal) for s in scored])
    if console.is_terminal:
        console.print(body, end="" if body.plain.endswith("\n") else "\n")
        console.print(legend())
    else:  # piped: the text as read, without colour codes
        sys.stdout.write(body.plain + ("" if body.plain.endswith("\n") else "\n"))
    print(f"{total:,.1f} bits over {counted:,} tokens: {total / max(counted, 1):.3f} bits "
          f"per token (total loss {total * math.log(2):.4f} nats)", file=sys.stderr)
    return 0


def written_json(w) -> str:
    """One generated token (an engine.generate.sampler.Written) as one JSON line."""
    return json.dumps({
        "token": w.token, "id": w.id, "piece": w.piece,
        "probability": round(w.probability, 6),
        "alternatives": [{"token": a.token, "id": a.id, "probability": round(a.probability, 6)}
                         for a in w.alternatives],
    }, ensure_ascii=False)
