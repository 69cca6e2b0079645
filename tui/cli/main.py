"""The `poetui` command. Sub-commands are headless; no sub-command opens the Textual app.

Only argparse and torch-free modules load at start so `poetui --help` answers at once;
PyTorch loads inside the commands that need it.
"""

from __future__ import annotations

import argparse
import json
import sys
import traceback
from itertools import chain
from pathlib import Path

from engine.config import (
    BUDGET_LIMIT_WORDS,
    CELLS,
    CLIP_MODES,
    DEFAULT_BEAM,
    KINDS,
    LEVELS,
    MAX_BEAM,
    OPTIMIZERS,
    POOLS,
    PRECISIONS,
    SCHEDULES,
    SampleConfig,
)
from engine.errors import PoetuiError
from engine.presets import PRESETS, preset_named


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("poetui")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "(not installed)"


def _presets_help() -> str:
    width = max(len(n) for n in PRESETS)
    return "presets:\n" + "\n".join(f"  {n:<{width}}  {p.about}" for n, p in PRESETS.items())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="poetui",
        description="Train small recurrent language models on text and write with them. "
        "With no command, opens the terminal app.",
    )
    parser.add_argument("--version", action="version", version=f"poetui {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help="train a model (or resume one)",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog=_presets_help())
    t.add_argument("corpus", nargs="?", help="a corpus name (see `poetui corpus`) or a file "
                   "path; default python-docs")
    t.add_argument("--name", help="the model's name (default: made from the corpus)")
    t.add_argument("--preset", metavar="NAME", help="a whole configuration (listed below)")
    t.add_argument("--kind", choices=KINDS,
                   help="the corpus shape (default: guessed)")
    t.add_argument("--level", choices=LEVELS)
    t.add_argument("--min-freq", type=int, help="word level: words seen fewer times (1 or "
                   "more) become <unk>")
    t.add_argument("--max-vocab", type=int, metavar="N",
                   help="word level: only the N most frequent words (PTB's 10000); the rest "
                        "become <unk>")
    t.add_argument("--cell", choices=CELLS)
    t.add_argument("--layers", type=int)
    t.add_argument("--hidden", type=int)
    t.add_argument("--embed", type=int, help="embedding size (default: the hidden size)")
    t.add_argument("--dropout", type=float)
    t.add_argument("--tie-weights", action="store_true", default=None,
                   help="the output layer reads the embedding's weights (projected down to "
                        "the embedding's size when it is narrower): far cheaper with a large "
                        "vocabulary")
    t.add_argument("--reverse", action="store_true", default=None,
                   help="translation pairs: train the target-to-source direction")
    t.add_argument("--bidirectional", action=argparse.BooleanOptionalAction,
                   help="translation: the encoder reads both ways; a classifier: its stack "
                        "does")
    t.add_argument("--pool", choices=POOLS, help="a classifier: name the class from the last "
                   "step's output, or the outputs' mean or max over the steps")
    t.add_argument("--shift", type=int, help="images: move each by up to this many pixels "
                   "each time it is read (0 to 8)")
    t.add_argument("--rotate", type=float, help="images: turn each by up to this many "
                   "degrees each time it is read (0 to 45)")
    t.add_argument("--scale", type=float, help="images: grow or shrink each by up to this "
                   "fraction each time it is read (0 to 0.5)")
    t.add_argument("--elastic", type=float, help="images: warp each, its parts moving by up "
                   "to about this many pixels, each time it is read (0 to 8)")
    t.add_argument("--attention", action=argparse.BooleanOptionalAction,
                   help="translation: the decoder attends to the encoder's outputs")
    t.add_argument("--seq-len", type=int)
    t.add_argument("--batch", type=int)
    t.add_argument("--lr", type=float)
    t.add_argument("--optimizer", choices=OPTIMIZERS)
    t.add_argument("--schedule", choices=SCHEDULES)
    t.add_argument("--clip", type=float)
    t.add_argument("--clip-mode", choices=CLIP_MODES)
    budget = t.add_mutually_exclusive_group()
    budget.add_argument("--minutes", type=float,
                        help=f"train this long, at most {BUDGET_LIMIT_WORDS['minutes']}")
    budget.add_argument("--epochs", type=float,
                        help=f"train this many epochs, at most {BUDGET_LIMIT_WORDS['epochs']}")
    budget.add_argument("--steps", type=int,
                        help=f"train this many steps, at most {BUDGET_LIMIT_WORDS['steps']}")
    t.add_argument("--eval-every", type=int, help="steps between validations (0: ten times "
                   "over the budget)")
    t.add_argument("--sample-every", type=int, help="steps between live samples (0: with "
                   "every validation)")
    t.add_argument("--seed", type=int)
    t.add_argument("--device", help="cpu, cuda, mps (default: the fastest available)")
    t.add_argument("--precision", choices=PRECISIONS)
    t.add_argument("--threads", type=int, help="CPU threads to train with, at most the usable "
                   "cores (default: the cores other work leaves free, checked as it trains)")
    t.add_argument("--resume", action="store_true", help="continue training --name")
    t.add_argument("--from", dest="from_model", metavar="MODEL",
                   help="continue MODEL on the text CORPUS as a new model (--name): its "
                        "recipe and shape kept, new characters or words added")
    t.add_argument("--freeze-embeddings", action="store_true", default=None,
                   help="the embeddings keep their starting weights (with --from: old "
                        "tokens keep their meaning)")
    t.add_argument("--nproc", type=int, metavar="N",
                   help="N data-parallel training processes on this machine (default 1; "
                        "see docs/scale.md for several machines)")
    t.add_argument("--detach", action="store_true", help="train in the background; "
                   "`poetui attach` shows it")
    t.add_argument("--checkpoint-minutes", type=float, help="save the latest checkpoint at "
                   "least this often (default 1)")
    t.add_argument("--json", action="store_true", help="one JSON object per event line")

    s = sub.add_parser("sample", help="generate text from a model, streamed as it comes")
    s.add_argument("name")
    s.add_argument("--prime", default="", help="text to start from")
    s.add_argument("--length", type=int, default=500, help="tokens per sample")
    s.add_argument("--temperature", type=float, default=SampleConfig.temperature)
    s.add_argument("--top-k", type=int, default=SampleConfig.top_k)
    s.add_argument("--top-p", type=float, default=SampleConfig.top_p)
    s.add_argument("--greedy", action="store_true")
    s.add_argument("--seed", type=int)
    s.add_argument("--count", type=int, default=1, help="how many samples (or names, poems)")
    s.add_argument("--stop", help="stop a sample once this text appears")
    s.add_argument("--acrostic", default="", help="Tang quatrains: line i starts with the "
                   "i-th of these characters (up to four; one: the opening character)")
    s.add_argument("--form", action="store_true", help="Tang quatrains: keep to the form "
                   "(four lines of five or seven characters, ，。，。)")
    s.add_argument("--regulated", action="store_true", help="Tang quatrains: keep to the "
                   "form, the tones (平仄) of a regulated pattern and the rhyme (平水韻) of "
                   "the even lines")
    s.add_argument("--no-title", action="store_true", help="Tang quatrains: print the poems "
                   "without their titles (a --prime then opens the poem)")
    s.add_argument("--stats", action="store_true", help="then say how much of it is new: "
                   "items (or 8-character / 4-word runs) not in the training text")
    s.add_argument("--allow-unk", action="store_true", help="word models: let the model "
                   "write <unk> (by default it never does; a prime's unknown words still read "
                   "as <unk>)")
    s.add_argument("--json", action="store_true", help="one JSON object per generated token: "
                   "its id, the probability it was drawn with, the five likeliest alternatives")

    sc = sub.add_parser("score", help="how surprising a model finds each token of a text")
    sc.add_argument("name")
    sc.add_argument("text", nargs="?", help="the text (default: --file, or stdin)")
    sc.add_argument("--file", help="score this file instead")
    sc.add_argument("--json", action="store_true", help="one JSON object per token, with its "
                    "surprisal in bits (their sum is `poetui eval`'s total loss, in bits)")

    e = sub.add_parser("eval", help="a model's loss on any text file (a classifier's accuracy, "
                       "per class and as a confusion matrix, on a labelled file)")
    e.add_argument("name")
    e.add_argument("file")
    e.add_argument("--beam", type=int, help="translation models: score beam search of this "
                   f"width (1 to {MAX_BEAM}) instead of greedy decoding (without --beam)")
    e.add_argument("--json", action="store_true")

    cl = sub.add_parser("classify", help="name the class of a text, or of each example in a "
                        "file, with a classifier")
    cl.add_argument("name")
    cl.add_argument("input", nargs="?", default="-", metavar="TEXT|FILE|-",
                    help="a text, a file (a digits CSV or IDX file for an image model; "
                    "lines of text, or label<TAB>text lines, for a text model), or - for each "
                    "line of stdin (the default)")
    cl.add_argument("--top", type=int, default=1, metavar="K",
                    help="show the K likeliest classes of each input")
    cl.add_argument("--json", action="store_true", help="one JSON object per input")

    tr = sub.add_parser("translate", help="translate with a model trained on pairs")
    tr.add_argument("name")
    tr.add_argument("text", nargs="?", help="the sentence (default: each line of stdin)")
    tr.add_argument("--beam", type=int, help=f"beam search of this width (1 to {MAX_BEAM}; "
                    f"default {DEFAULT_BEAM}; 1: greedy, streamed as it is decoded)")
    tr.add_argument("--n-best", type=int, default=1, help="how many of the beam's "
                    f"translations (1 to {MAX_BEAM}), best first, with their scores")

    m = sub.add_parser("models", help="list, inspect, rename or delete models; export a run's "
                       "metrics", description="metrics NAME [--csv|--json]: the run's steps, "
                       "evaluations and samples (CSV: one row per step)")
    m.add_argument("action", nargs="?", choices=["list", "info", "rm", "rename", "metrics"],
                   default="list")
    m.add_argument("names", nargs="*")
    m.add_argument("--json", action="store_true")
    m.add_argument("--csv", action="store_true", help="metrics: CSV, one row per step (the "
                   "default)")
    m.add_argument("--yes", action="store_true", help="rm: delete without asking (needed when "
                   "stdin is not a terminal)")

    c = sub.add_parser("corpus", help="list, describe, download or add corpora",
                       description="list: every corpus and its state; info NAME|PATH; "
                       "fetch NAME: download, verify and cache a catalog corpus; add PATH "
                       "[--as NAME]: cache a file you got elsewhere as a catalog corpus")
    c.add_argument("action", nargs="?", choices=["list", "info", "fetch", "add"],
                   default="list")
    c.add_argument("target", nargs="?", help="a corpus name, or a file path (info, add)")
    c.add_argument("--kind", choices=KINDS, help="info: the corpus shape (default: guessed)")
    c.add_argument("--as", dest="as_name", metavar="NAME",
                   help="add: the catalog corpus the file is (default: found by checksum)")
    c.add_argument("--force", action="store_true",
                   help="add: accept a file that differs from the card's, as your own copy")
    c.add_argument("--again", action="store_true",
                   help="fetch: download afresh even if it is already here")

    v = sub.add_parser("verse", help="check Tang poems' tones (平仄) and rhyme (平水韻)",
                       description="check FILE|-: per poem (one `title:poem` or bare poem a "
                       "line), whether it is regulated, its pattern, its rhyme group and each "
                       "position that breaks; then a summary line")
    v.add_argument("action", choices=["check"])
    v.add_argument("file", nargs="?", default="-", help="the poems (default -: standard input)")
    v.add_argument("--json", action="store_true", help="one JSON document: each poem's verdict "
                   "and the summary")

    a = sub.add_parser("attach", help="open the live dashboard of a run in progress")
    a.add_argument("run", nargs="?", help="the model being trained (default: the one "
                   "running; with several, you choose)")

    sv = sub.add_parser("serve", help="serve the app to a web browser (each tab one more viewer)",
                        description="Serve the app to a browser through textual-serve. The page "
                        "has no login: it binds to 127.0.0.1 unless --host says otherwise; to "
                        "watch from another machine, forward the port over SSH.")
    sv.add_argument("--host", default="127.0.0.1", help="the address to listen on "
                    "(default 127.0.0.1: this machine only)")
    sv.add_argument("--port", type=int, default=8000, help="the port (default 8000)")
    return parser


TRAIN_OPTIONS = ("kind", "level", "min_freq", "max_vocab", "cell", "layers", "hidden", "embed",
                 "dropout", "tie_weights", "reverse", "bidirectional", "attention", "pool",
                 "shift", "rotate", "scale", "elastic", "seq_len",
                 "batch", "lr", "optimizer", "schedule", "clip",
                 "clip_mode", "minutes", "epochs", "steps", "eval_every", "sample_every", "seed",
                 "device", "precision", "threads", "checkpoint_minutes", "nproc",
                 "freeze_embeddings")


def cmd_train(args: argparse.Namespace) -> int:
    from engine.storage import store
    from engine.train import job
    from engine.train.worker import StopSignals, run_training
    from engine.train.world import world_from_env

    world = world_from_env()
    if world is not None and not world.lead:
        # Started by torchrun beside the lead (rank 0): train as it says, write nothing.
        from engine.train.follower import follow_run

        if args.name is None:
            raise PoetuiError("Under torchrun every process needs the model's --name.")
        follow_run(args.name)
        return 0
    overrides = {k: getattr(args, k) for k in TRAIN_OPTIONS}
    if args.preset is not None:
        preset_named(args.preset)  # a typo is one sentence, before any download
    changes = None
    if args.resume and args.from_model is not None:
        raise PoetuiError("--from makes a new model from another and --resume goes on with one "
                          "already made; use one of them.")
    if args.resume:
        if args.name is None:
            raise PoetuiError("--resume needs --name to say which model to continue.")
        job.resumed_settings(args.name, overrides)  # checked now, written under the run's lock
        model_dir, changes = store.existing(args.name), overrides
    elif args.from_model is not None:
        from engine.train.continuation import continue_model
        from tui.cli.download_bar import ensure_downloaded

        if args.preset is not None:
            raise PoetuiError("--preset cannot go with --from: a continued model keeps the "
                              "settings of the model it comes from; leave it out.")
        ensure_downloaded(args.corpus)
        model_dir = continue_model(args.corpus, args.from_model, args.name, **overrides)
    else:
        from tui.cli.download_bar import ensure_downloaded

        ensure_downloaded(args.corpus)  # a catalog corpus not cached yet: fetched first
        model_dir = job.create_model(args.corpus, args.name, args.preset, **overrides)
    _threads_notice(args.threads)
    if args.detach:
        return _detach(model_dir, changes)
    model = store.summary(model_dir.name)
    stop = StopSignals(interactive=True, on_first=lambda: print(
        "\nStopping after a checkpoint… (Ctrl-C again to abandon)", file=sys.stderr))

    def shown(listener):
        def show(event) -> None:
            if not stop.hung_up:
                try:
                    listener(event)
                except OSError:  # the terminal went away
                    stop.hung_up = True
        return show

    if args.json:
        from engine.events import to_dict

        def listener(event) -> None:
            print(json.dumps({"model": model_dir.name, **to_dict(event)}), flush=True)

        run_training(model_dir, shown(listener), stop, changes, new=not args.resume)
        return 0

    from tui.cli.progress import TrainingProgress

    with TrainingProgress(model) as progress:
        done = run_training(model_dir, shown(progress.update), stop, changes,
                            new=not args.resume)
    if not stop.hung_up:
        progress.summary(done, "translate" if model.translates else
                         "classify" if model.classifies else "sample")
    return 0


def _threads_notice(requested: int | None) -> None:
    """The trainer caps a thread count above the usable cores (engine.nn.threads); a notice,
    not a refusal, since the same model may train later on a larger machine."""
    from engine.nn.threads import usable_cores

    cores = usable_cores()
    if requested is not None and requested > cores:
        print(f"Only {cores} CPU core{'s' if cores > 1 else ''} can be used here, so training "
              f"uses {cores} thread{'s' if cores > 1 else ''}, not {requested:,}.",
              file=sys.stderr)


def _detach(model_dir: Path, changes: dict | None) -> int:
    """Train in the background process the app uses; it outlives this terminal."""
    from engine.storage.runlock import is_locked
    from engine.train.worker import spawn

    name = model_dir.name
    if is_locked(model_dir):
        raise PoetuiError(f"Model '{name}' is already training in another process; attach to "
                          f"it with `poetui attach {name}`.")
    pid = spawn(name, changes)  # the worker writes the changes once it holds the lock
    print(f"Training '{name}' in the background (process {pid}). Watch it with "
          f"`poetui attach {name}`; stop it there with s, or with `kill {pid}` (it saves a "
          "checkpoint first).")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    try:
        config = SampleConfig(length=args.length, temperature=args.temperature,
                              top_k=args.top_k, top_p=args.top_p, greedy=args.greedy,
                              seed=args.seed, stop=args.stop, allow_unk=args.allow_unk)
    except ValueError as exc:
        raise PoetuiError(f"Bad sampling setting: {exc}.") from None
    if args.count < 1:  # 0 printed an empty line and succeeded
        raise PoetuiError(f"--count is how many samples to write: give 1 or more (not "
                          f"{args.count}).")
    for flag, text in (("--prime", args.prime), ("--stop", args.stop or "")):
        _check_utf8(flag, text)
    from engine.loading import load_model  # PyTorch, after the checks: a refusal is at once

    _check_utf8("--acrostic", args.acrostic)
    loaded = load_model(args.name)
    sampler = loaded.sampler()
    from engine.generate.forms import (
        in_lines,
        quatrain_constraint,
        untitled,
        writes_quatrains,
        writes_titles,
    )

    quatrains = writes_quatrains(loaded.vocab, loaded.kind)
    if args.regulated and not quatrains:
        raise PoetuiError(f"--regulated is for a model that writes Tang quatrains; "
                          f"'{args.name}' does not (train one on tang-wujue or tang-qijue).")
    # Without titles a prime is the poem's opening, written after the title the model writes
    # (it needs one) and shown as the poem streams; a prime with the title's colon in it is
    # shown from the colon on.
    titled = args.no_title and quatrains and writes_titles(loaded.vocab)
    opening = args.prime if titled and ":" not in args.prime else ""
    hidden = titled and not opening and ":" not in args.prime  # a title still to come
    shown = "" if opening else args.prime.partition(":")[2] if titled else args.prime
    prime = sampler.prime("" if opening else args.prime)
    if prime.notice:
        print(prime.notice, file=sys.stderr)
    if args.regulated:
        from engine.generate.regulated import regulated_constraint

        constraint = regulated_constraint(loaded.vocab, args.acrostic, opening)
    else:
        constraint = quatrain_constraint(loaded.vocab, args.acrostic, args.form, opening)
    out = sys.stdout
    if args.json:
        from tui.cli.score import written_json

        for item in sampler.written(prime, config, args.count, constraint, alternatives=5):
            for w in item:
                print(written_json(w), flush=True)
        return 0
    outputs, pruned = [], []

    def kept(pieces):
        for piece in pieces:
            outputs[-1] += piece
            yield piece

    for i, item in enumerate(sampler.items(prime, config, args.count, constraint)):
        # A quatrain prints as its title and four lines, poems a blank line apart.
        if i:
            out.write("\n\n" if quatrains else loaded.kind.separator)
        outputs.append("")
        pieces = kept(chain([shown], untitled(item) if hidden or opening else item))
        for piece in in_lines(pieces) if quatrains else pieces:
            out.write(piece)
            out.flush()
        pruned += constraint.pruned if constraint is not None else []
    out.write("\n")
    out.flush()
    if args.stats:
        judge = loaded.novelty()
        assert judge is not None, "a model that samples writes: it has a novelty figure"
        print(f"novelty: {judge.score(outputs):.1%} of the {judge.what} never occur in the "
              "training text", file=sys.stderr)
        if pruned:
            print(f"constraint: the mask removed {sum(pruned) / len(pruned):.1%} of the "
                  "model's probability per masked choice on average", file=sys.stderr)
    return 0


def _check_utf8(flag: str, text: str) -> None:
    """Arguments arrive with undecodable bytes kept as surrogates; text for a model must be
    real text."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        byte = ord(text[exc.start]) - 0xDC00 if "\udc80" <= text[exc.start] <= "\udcff" else None
        what = f"byte 0x{byte:02x}" if byte is not None else "a character"
        raise PoetuiError(f"{flag} is not valid UTF-8 text ({what} at position {exc.start}); "
                          "give it as UTF-8, as your terminal normally sends it.") from None


def cmd_eval(args: argparse.Namespace) -> int:
    _check_beam(args.beam)
    from engine.train.evaluate import evaluate_file  # PyTorch, after the check
    from tui.cli.progress import task_progress

    with task_progress() as progress:  # on a terminal's stderr only: stdout is the result
        result = evaluate_file(args.name, args.file, beam=args.beam or 0, progress=progress)
    if args.json:
        print(json.dumps(result))
        return 0
    if "accuracy" in result:
        from tui.cli.classify import print_report

        print_report(result)
        return 0
    print(f"{result['file']}: loss {result['loss']:.4f} nats/token, "
          f"{result['bits_per_token']:.3f} bits/token, perplexity {result['perplexity']:.2f} "
          f"over {result['tokens']:,} tokens ({result['oov']:,} outside the vocabulary)")
    if "chrf" in result:
        decoding = f"beam {args.beam}" if args.beam and args.beam > 1 else "greedy"
        print(f"translations ({decoding}): chrF {result['chrf']:.3f}, BLEU "
              f"{result['bleu']:.3f}, exact match {result['exact']:.1%}")
    return 0


def cmd_classify(args: argparse.Namespace) -> int:
    from tui.cli.classify import run

    return run(args)


def cmd_score(args: argparse.Namespace) -> int:
    from tui.cli import score

    return score.run(args)


def cmd_translate(args: argparse.Namespace) -> int:
    _check_beam(args.beam, args.n_best)
    from engine.loading import load_model  # PyTorch, after the check

    beam = DEFAULT_BEAM if args.beam is None else args.beam
    translator = load_model(args.name).translator()
    lines = [args.text] if args.text is not None else (line.rstrip("\n") for line in sys.stdin)
    told: set[str] = set()
    for line in lines:
        _check_utf8("TEXT", line)
        source = translator.source(line)
        if source.notice and source.notice not in told:  # said once, then dropped
            told.add(source.notice)
            print(source.notice, file=sys.stderr)
        if beam > 1 or args.n_best > 1:
            for text, score in translator.beam(source, max(beam, args.n_best), args.n_best):
                print(f"{score:8.3f}  {text}" if args.n_best > 1 else text, flush=True)
            continue
        for piece in translator.stream(source):
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n")
    return 0


def _check_beam(beam: int | None, n_best: int = 1) -> None:
    """One limit for `translate` and `eval`, checked before a model loads: the search costs
    width × length decoder steps per sentence, so a million-wide beam ran for minutes in
    silence. 0 meant greedy without --help saying so; a width of 1 is greedy now."""
    if beam is not None and not 1 <= beam <= MAX_BEAM:
        raise PoetuiError(f"--beam is a beam width from 1 to {MAX_BEAM} (not {beam}); a width "
                          "of 1 is greedy decoding.")
    if not 1 <= n_best <= MAX_BEAM:
        raise PoetuiError(f"--n-best is how many translations to show: 1 to {MAX_BEAM} (not "
                          f"{n_best}).")


def cmd_models(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from engine.storage import store
    from engine.storage.folder import RunState
    from tui.widgets import format as fmt

    console = Console()
    if args.action == "list":
        models = store.list_models()
        if args.json:
            print(json.dumps([m.to_json() for m in models]))
            return 0
        if not models:
            console.print("No models yet. Train one: [bold]poetui train --preset tiny[/]")
            return 0
        table = Table("name", "corpus", "model", "params", "steps", "best val", "state",
                      box=None, header_style="bold")
        for m in models:
            if m.state is RunState.DAMAGED:  # nothing of it can be read but its name
                table.add_row(m.name, *[fmt.DASH] * 5, m.state.words)
                continue
            table.add_row(m.name, Path(m.corpus).name, m.size, f"{m.parameters:,}",
                          f"{m.steps:,}", fmt.loss(m.best_val_loss), m.state.words)
        console.print(table)
        return 0
    need = 2 if args.action == "rename" else 1
    if len(args.names) != need:
        raise PoetuiError(f"`poetui models {args.action}` needs {need} model name"
                          f"{'s' if need > 1 else ''}.")
    if args.action == "metrics":
        from tui.cli.metrics import write_metrics

        if args.csv and args.json:
            raise PoetuiError("Give --csv or --json, not both.")
        write_metrics(store.existing(args.names[0]), args.names[0], sys.stdout, args.json)
    elif args.action == "info":
        folder = store.open_model(args.names[0])
        m = folder.summary()
        info = m.to_json()
        if not folder.damaged:
            info.update(preset=folder.preset, train=folder.train_settings,
                        model=folder.model_settings, origin=folder.origin)
        if args.json:
            print(json.dumps(info))
        else:
            console.print(_info_table(folder))
    elif args.action == "rm":
        name = args.names[0]
        store.existing(name)  # a wrong name is its sentence before any question
        if not args.yes and not _confirmed(name):
            raise PoetuiError(f"Nothing was deleted; model '{name}' is kept.")
        store.delete(name)
        print(f"Deleted model '{name}'.")
    else:
        store.rename(*args.names)
        print(f"Renamed '{args.names[0]}' to '{args.names[1]}'.")
    return 0


def _confirmed(name: str) -> bool:
    """Asked on a terminal; with stdin not a terminal (a script, a pipe) nobody can answer, and
    a deletion cannot be undone, so it needs --yes."""
    if sys.stdin is None or not sys.stdin.isatty():
        raise PoetuiError(f"Deleting model '{name}' cannot be undone and there is no terminal to "
                          f"confirm it; run `poetui models rm {name} --yes` to delete it.")
    print(f"Delete model '{name}' and all its checkpoints? This cannot be undone. [y/N] ",
          end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _info_table(folder):
    """`models info` for people: dates as dates, losses to 3 decimals, settings in a table."""
    from rich.table import Table

    from tui.widgets import format as fmt
    from tui.widgets.format import origin_words

    m = folder.summary()
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column(style="bold", justify="right")
    table.add_column(overflow="fold")
    if folder.damaged:
        rows = [("name", m.name), ("state", m.state.words), ("why", m.message),
                ("folder", str(m.path))]
    else:
        rows = [
            ("name", m.name), ("corpus", f"{m.corpus} ({m.kind})"),
            ("model", f"{m.size}, {m.level} level, {m.parameters:,} parameters"),
            ("preset", folder.preset or fmt.DASH),
            *([("from", origin_words(folder.origin))] if folder.origin else []),
            ("steps", f"{m.steps:,}"),
            ("best val loss", fmt.loss(m.best_val_loss)),
            *([("held-out chrF", fmt.loss(m.chrf))] if m.translates else []),
            *([("held-out accuracy", fmt.num(m.accuracy, ".2%"))] if m.classifies else []),
            ("last trained", fmt.when(m.last_trained) if m.last_trained else "never"),
            ("state", m.state.words), *([("why", m.message)] if m.message else []),
            ("folder", str(m.path)),
        ]
        for group, values in (("model", folder.model_settings),
                              ("train", folder.train_settings)):
            rows.append((f"{group} settings", "  ".join(
                f"{k}={fmt.setting(v)}" for k, v in values.items() if v is not None)))
    for key, value in rows:
        table.add_row(key, str(value))
    return table


def cmd_corpus(args: argparse.Namespace) -> int:
    from tui.cli.corpus import run

    return run(args)


def cmd_verse(args: argparse.Namespace) -> int:
    from tui.cli.verse import run

    return run(args)


def cmd_attach(args: argparse.Namespace) -> int:
    from tui.app import run_app

    return run_app(attach=args.run or "")


def cmd_serve(args: argparse.Namespace) -> int:
    from tui.cli.serve import serve

    return serve(args.host, args.port)


def main(argv: list[str] | None = None) -> int:
    from engine.nn.threads import prepare_env

    prepare_env()  # before numpy and PyTorch load
    args = build_parser().parse_args(argv)
    commands = {"train": cmd_train, "sample": cmd_sample, "eval": cmd_eval, "score": cmd_score,
                "translate": cmd_translate, "classify": cmd_classify,
                "models": cmd_models, "corpus": cmd_corpus, "verse": cmd_verse,
                "attach": cmd_attach, "serve": cmd_serve}
    try:
        if args.command is None:
            from tui.app import run_app

            return run_app()
        return commands[args.command](args)
    except PoetuiError as exc:
        print(f"poetui: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("poetui: interrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # noqa: BLE001 — the user sees one sentence, the log the detail
        from tui.crash import crash_sentence, write_crash_log

        log = write_crash_log(traceback.format_exc())
        print(f"poetui: unexpected error ({type(exc).__name__}: {exc}); {crash_sentence(log)}",
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
