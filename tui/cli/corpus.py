"""`poetui corpus list | info | fetch | add`: the catalog, as the command line shows it.

Torch-free, like everything the CLI imports before a command needs PyTorch.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from corpora import CARDS
from corpora.cards import Card, find_card
from engine.data import cache
from engine.errors import PoetuiError
from tui.widgets.format import size as human_size

KIND_ORIGIN = {"guessed": "guessed; --kind to change", "card": "the card's; --kind to change",
               "given": "--kind"}


def run(args: argparse.Namespace) -> int:
    actions = {"list": list_cards, "info": info, "fetch": fetch, "add": add}
    return actions[args.action](args)


def list_cards(args: argparse.Namespace) -> int:
    print(f"{'name':<18} {'kind':<8} {'level':<6} {'state':<12} {'size':>9}  title")
    for card in CARDS:
        print(f"{card.name:<18} {card.kind:<8} {card.level:<6} {cache.state(card):<12} "
              f"{human_size(cache.card_size(card)):>9}  {card.title}")
    print("\n`poetui corpus fetch NAME` downloads one (training on it does too); "
          "`poetui corpus info NAME` describes it. Or give the path of any text file.")
    return 0


def info(args: argparse.Namespace) -> int:
    if not args.target:
        raise PoetuiError("`poetui corpus info` needs a corpus name or a file path.")
    card = find_card(args.target)
    if card is not None:
        _show_card(card)
        if not cache.is_cached(card):
            print(f"\nNot downloaded yet: `poetui corpus fetch {card.name}`.")
            return 0
        print()
    _show_text(args.target, args.kind)
    return 0


def _row(key: str, value: object) -> None:
    print(f"{key:>20}  {value:,}" if isinstance(value, int) else f"{key:>20}  {value}")


def _show_card(card: Card) -> None:
    _row("card", f"{card.name}: {card.title}")
    where = cache.folder(card)
    state = cache.state(card)
    _row("state", f"{state} ({human_size(cache.size_on_disk(card))} in {where})"
         if state != "to download" else state)
    for source in card.sources:
        label = "source" if source.part == "text" else f"{source.part} file"
        _row(label, source.url)
        digest = (f"SHA-256 {source.sha256}" if source.sha256 else
                  f"MD5 {source.md5} (SHA-256 not pinned)" if source.md5 else
                  "not pinned: the file changes upstream")
        _row("checked by", digest)
    recorded = cache.manifest(card)
    for part, entry in recorded.items():
        if entry.get("verified") is False:
            _row("your copy", f"{part} from {entry.get('origin')} (SHA-256 {entry.get('sha256')}"
                 ", differs from the card's)")
    _row("licence", card.licence)
    _row("level · preset", f"{card.level} · {card.preset}")
    _row("recipe", f"{card.recipe}: {card.recipe_about}")
    if card.prompts:
        _row("prompts", "  ".join(repr(p) for p in card.prompts))
    if card.notes:
        _row("notes", card.notes)


def _show_text(spec: str, kind: str | None) -> None:
    from engine.corpus import describe, load_corpus
    from engine.data.tokenizer import Vocab

    corpus = load_corpus(spec, kind)
    described = describe(corpus)
    if "examples" in described:  # labelled examples (a classifier's corpus)
        _row("name", described["name"])
        _row("kind", f"{described['kind']} ({KIND_ORIGIN[described['kind_origin']]})")
        _row("examples", f"{described['examples']:,} {described['examples_are']}, "
                         f"{described['classes']} classes")
        _row("per class", "  ".join(f"{c}: {n:,}" for c, n in described["per_class"].items()))
        return
    vocab = Vocab.build([corpus.text], "word", min_freq=5)
    _row("name", described["name"])
    _row("kind", f"{described['kind']} ({KIND_ORIGIN[described['kind_origin']]})")
    if described["own_split"]:
        _row("split", "its own: trains on the train file, validates on the valid file")
    for key in ("source", "characters", "distinct_characters", "words", "distinct_words",
                "lines", "records"):
        if key in described:
            _row(key.replace("_", " "), described[key])
    _row("words seen ≥ 5 times", len(vocab) - len(vocab.specials))
    print("\n" + described["preview"].rstrip() + "\n…")


def fetch(args: argparse.Namespace) -> int:
    from tui.cli.download_bar import fetch_with_bar

    if not args.target:
        raise PoetuiError("`poetui corpus fetch` needs a corpus name; see `poetui corpus list`.")
    card = _catalog_card(args.target)
    if card.builtin:
        print(f"'{card.name}' is built in: nothing to download.")
        return 0
    was_cached = cache.is_cached(card)
    fetch_with_bar(card, again=args.again)
    if was_cached and not args.again:
        print(f"'{card.name}' is already here ({cache.state(card)}, in {cache.folder(card)}); "
              "--again downloads it afresh.")
    else:
        print(f"'{card.name}' is downloaded and verified, in {cache.folder(card)}.")
    return 0


def add(args: argparse.Namespace) -> int:
    if not args.target:
        raise PoetuiError("`poetui corpus add` needs the path of a file (or folder) you got "
                          "elsewhere, e.g. `poetui corpus add ~/Downloads/input.txt --as "
                          "tiny-shakespeare`.")
    card, parts = cache.add(Path(args.target), args.as_name, args.force)
    state = cache.state(card)
    what = ", ".join(parts) if card.own_split else "its text"
    note = " as your own copy (it differs from the card's file)" if state == "your copy" else ""
    if cache.is_cached(card):
        print(f"Added {what} to '{card.name}'{note}; train on it with "
              f"`poetui train {card.name}`.")
    else:
        missing = [s.file_name for s in card.sources if not cache.part_cached(card, s.part)]
        print(f"Added {what} to '{card.name}'{note}; it still needs {', '.join(missing)}.")
    return 0


def _catalog_card(name: str) -> Card:
    card = find_card(name)
    if card is None:
        from engine.errors import did_you_mean

        names = [c.name for c in CARDS]
        raise PoetuiError(f"There is no corpus named '{name}' in the catalog"
                          f"{did_you_mean(name, names)}; see `poetui corpus list`.")
    return card
