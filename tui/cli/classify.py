"""`poetui classify` and the classifier's `poetui eval` report: predictions printed, one line
(or JSON object) per input, and accuracy with its confusion matrix."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from engine.errors import PoetuiError


def run(args: argparse.Namespace) -> int:
    if args.top < 1:
        raise PoetuiError(f"--top is how many classes to show: 1 or more (not {args.top}).")
    from engine.generate.classify import lines_to_classify, read_inputs
    from engine.loading import load_model  # PyTorch, after the checks

    classifier = load_model(args.name).classifier()
    source = args.input
    labels: list[str] | None = None
    if source == "-" and classifier.reads_images:  # `cat digits.csv | poetui classify NAME`
        from engine.data.labelled import parse_digits_csv

        digits = parse_digits_csv(sys.stdin.buffer.read(), "stdin")
        inputs, labels = list(digits.images), digits.labels
    elif source == "-":
        inputs, labels = lines_to_classify(sys.stdin.read(), "stdin")
    elif Path(source).is_file() or (classifier.reads_images and not _is_text(source)):
        inputs, labels = read_inputs(Path(source), classifier.reads_images)
    elif classifier.reads_images:
        raise PoetuiError(f"Model '{args.name}' reads images; give a digits CSV or IDX file "
                          "(there is no file at " + source + ").")
    else:
        inputs = [source]
    if not inputs:
        raise PoetuiError("There is nothing to classify; give a text, a file or lines on stdin.")
    k = min(args.top, len(classifier.classes))
    for start in range(0, len(inputs), 1024):  # a large file streams out as it is read
        chunk = inputs[start:start + 1024]
        for i, probabilities in enumerate(classifier.probabilities(chunk), start):
            top = classifier.top(probabilities, k)
            truth = labels[i] if labels is not None else None
            if args.json:
                shown = inputs[i] if isinstance(inputs[i], str) else f"#{i + 1}"
                print(json.dumps({"input": shown, "label": top[0][0],
                                  "probability": top[0][1],
                                  "top": [{"label": c, "probability": p} for c, p in top],
                                  **({"true": truth} if truth is not None else {})},
                                 ensure_ascii=False), flush=True)
                continue
            guesses = "  ".join(f"{c} {p:.1%}" for c, p in top)
            what = inputs[i] if isinstance(inputs[i], str) else f"#{i + 1}"
            known = f"  (true {truth})" if truth is not None else ""
            print(f"{guesses}\t{what}{known}", flush=True)
    return 0


def _is_text(source: str) -> bool:
    return not source.endswith((".csv", ".gz", "ubyte")) and "/" not in source


def print_report(result: dict) -> None:
    """Accuracy, each class's accuracy and the confusion matrix, for people."""
    classes = result["classes"]
    print(f"{result['file']}: accuracy {result['accuracy']:.2%} over {result['examples']:,} "
          f"examples (loss {result['loss']:.4f} nats)")
    width = max(5, *(len(c) for c in classes))
    print("per class: " + "  ".join(
        f"{c} {a:.1%}" if a is not None else f"{c} –" for c, a in result["per_class"].items()))
    print("confusion (rows: true class, columns: predicted):")
    print(" " * width + " " + " ".join(f"{c:>{width}}" for c in classes))
    for c, row in zip(classes, result["confusion"], strict=True):
        print(f"{c:>{width}} " + " ".join(f"{n:>{width}}" for n in row))
