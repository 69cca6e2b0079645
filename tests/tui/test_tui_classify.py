"""A classifier in the app, over a real (tiny, briefly trained) model of made-up digits: the
desk browses held-out digits, draws on the canvas with keys and the mouse, and shows the class
probabilities after each row; the dashboard shows accuracy, the confusion matrix and a digit;
an SVG snapshot of a drawn digit."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from digits import made_up_digits
from helpers import wait_for

from engine.data.labelled import write_digits_csv
from engine.events import EvalEvent, SampleEvent, StateEvent, StepEvent
from engine.storage.runstore import RunWriter
from tui.app import PoetuiApp
from tui.screens.classify_desk import ClassifyDeskScreen
from tui.widgets.classifier import ClassBars, ConfusionGrid, DigitCanvas, RowProbabilities
from tui.widgets.library import ModelsTable

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="session")
def trained_classifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real classifier of made-up digits (bars across, bars down, diagonals), trained once
    for the session; tests copy it into their own store."""
    from engine.train.assemble import open_trainer
    from engine.train.job import create_model

    where = tmp_path_factory.mktemp("classifier")
    digits = where / "bars.csv"
    write_digits_csv(digits, made_up_digits(per_class=30))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POETUI_HOME", str(where / "home"))
        # Pinned (not the default preset's tuning, which moves): the snapshot shows this model.
        path = create_model(str(digits), name="bars", steps=60, cell="gru", bidirectional=True,
                            pool="mean", hidden=24, embed=64, dropout=0.1, batch=16, lr=1e-2,
                            warmup=5, average=0.0, shift=1, rotate=0.0, scale=0.0, elastic=0.0,
                            optimizer="adamw",
                            precision="fp32")
        open_trainer(path).run(lambda event: None)
    return path


@pytest.fixture
def classifier(trained_classifier: Path, poetui_home: Path) -> str:
    shutil.copytree(trained_classifier, poetui_home / "models" / "bars")
    return "bars"


async def open_desk(pilot) -> ClassifyDeskScreen:
    app = pilot.app
    table = app.screen.query_one(ModelsTable)
    await wait_for(pilot, lambda: table.row_count == 1)
    await pilot.press("g")  # "write" opens a classifier's desk
    await wait_for(pilot, lambda: isinstance(app.screen, ClassifyDeskScreen)
                   and app.screen.classifier is not None and app.screen.rows is not None)
    return app.screen


async def draw_a_vertical_bar(pilot) -> None:
    await pilot.press("d")  # a blank canvas, the pen shown at the middle
    await pilot.press(*["up"] * 10)
    for _ in range(20):
        await pilot.press("space", "down")


async def test_the_desk_browses_and_reads_a_drawing_row_by_row(classifier: str) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_desk(pilot)
        canvas = screen.query_one(DigitCanvas)
        first = canvas.pixels.copy()
        assert np.array_equal(first, screen.examples.images[0])
        await pilot.press("right")  # the next held-out digit
        assert screen.index == 1 and np.array_equal(canvas.pixels, screen.examples.images[1])
        assert f"true class {screen.examples.labels[1]}" in str(
            screen.query_one("#classify-status").render())

        await draw_a_vertical_bar(pilot)
        assert canvas.drawing
        drawn = canvas.pixels.copy()
        assert (drawn[4:24, 14] == 255).all() and drawn[:, :12].max() == 0
        # Read row by row, in a thread: the probabilities after each of the 28 rows, the last
        # of them the whole picture's; a vertical bar is class 1.
        want = screen.classifier.after_each_row(drawn)
        await wait_for(pilot, lambda: screen.rows is not None
                       and np.allclose(screen.rows, want, atol=1e-5))
        assert screen.rows.shape == (28, 3)
        assert not np.allclose(screen.rows[1], screen.rows[-1])  # it changed its mind
        assert screen.classifier.top(screen.rows[-1], 1)[0][0] == "1"
        bars = str(screen.query_one(ClassBars).render())
        assert bars.splitlines()[1].lstrip().startswith("1 ")  # likeliest first
        grid = str(screen.query_one(RowProbabilities).render()).splitlines()
        assert len(grid) == 14 and grid[-1].startswith("28 ") and " 1 " in grid[-1]

        # The mouse paints where it is pressed (a cell is two pixel rows) and c clears.
        await pilot.press("c")
        assert canvas.pixels.max() == 0
        await pilot.click(DigitCanvas, offset=(1 + 5, 1 + 3))  # past the border
        assert canvas.pixels[6, 5] == 255 and canvas.pixels[6, 20] == 0
        await pilot.press("x")  # the keyboard's pen erases where it stands
        await pilot.press("escape")  # drawing ends: back to the held-out digits
        assert not canvas.drawing and np.array_equal(canvas.pixels, screen.examples.images[1])


async def test_the_dashboard_of_a_classifier_shows_accuracy_and_the_confusion_matrix(
        classifier: str, poetui_home: Path) -> None:
    path = poetui_home / "models" / classifier
    (path / "run.db").unlink(missing_ok=True)
    writer = RunWriter(path)
    writer.set_status(total="60 steps", device="cpu")
    writer.record(StateEvent("training"))
    for step in range(1, 31):
        writer.record(StepEvent(step, 1, step / 30, step / 60, 1.1 / step, 0.01, 0.5, 900.0,
                                step * 0.1, 6.0))
    writer.record(EvalEvent(30, 0.2, 1.22, 0.29, True, accuracy=0.875,
                            confusion=[[9, 1, 0], [0, 10, 0], [2, 1, 7]]))
    writer.record(SampleEvent(30, "  ██  \n  ██  \n✓ true 1 · read 1 (97%)"))
    writer.close()
    app = PoetuiApp(attach=classifier)
    async with app.run_test(size=(80, 24)) as pilot:
        grid = app.screen.query_one(ConfusionGrid)
        await wait_for(pilot, lambda: "acc" in str(grid.render()))
        rows = str(grid.render()).splitlines()
        assert rows[1].split()[:4] == ["0", "9", "1", "·"] and rows[1].endswith("90%")
        assert "87.5%" in str(app.screen.query_one("#cls-acc-value").render())
        assert "read 1 (97%)" in str(app.screen.query_one("#digit-sample").render())
        assert not app.screen.query_one("#sample").display  # the language model's panel


def test_snapshot_of_a_drawn_digit(snap_compare, classifier: str) -> None:
    async def draw(pilot) -> None:
        screen = await open_desk(pilot)
        await draw_a_vertical_bar(pilot)
        want = screen.classifier.after_each_row(screen.query_one(DigitCanvas).pixels)
        await wait_for(pilot, lambda: np.allclose(screen.rows, want, atol=1e-5))
        await pilot.pause()

    assert snap_compare(PoetuiApp(), terminal_size=(80, 24), run_before=draw)
