"""Does it write or copy, and does it keep the form? The novelty figure beside the dashboard's
live sample and in the desk's status line, and the desk's acrostic, form and title controls for
Tang quatrains. Over real models trained here for a few seconds, real run stores, the real
sampler."""

from __future__ import annotations

import random
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from helpers import wait_for
from screen_text import screen_lines, screen_text
from textual.widgets import Input, Static

from engine.corpus import load_corpus
from engine.generate.forms import well_formed
from engine.generate.novelty import novel_items
from engine.generate.verse import check
from engine.storage.runstore import DB, RunReader
from engine.train.job import create_model
from engine.train.worker import run_training
from tui.app import PoetuiApp
from tui.screens.dashboard import DashboardScreen
from tui.screens.desk import COPIED, DeskScreen
from tui.widgets.samples import SamplePanel
from tui.widgets.sampling import SamplingControls
from tui.widgets.token_stream import TokenStream

pytestmark = pytest.mark.timeout(120)
HEADS = "春夏秋冬"


def tang_like(poems: int = 60) -> str:
    """Made-up `title:poem` quatrains over a small character set that holds the heads."""
    rng = random.Random(7)
    chars = "春夏秋冬山水月花風雨雲天日夜江南北人來去"

    def line() -> str:
        return "".join(rng.choices(chars, k=5))

    return "".join(f"{line()[:2]}:{line()}，{line()}。{line()}，{line()}。\n"
                   for _ in range(poems))


@pytest.fixture(scope="module")
def trained_tang(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Tang-like model, trained once for this module (it writes badly; the form and the
    acrostic hold all the same, by construction)."""
    where = tmp_path_factory.mktemp("tang")
    corpus = where / "tang.txt"
    corpus.write_text(tang_like(), encoding="utf-8")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("POETUI_HOME", str(where / "home"))
        path = create_model(str(corpus), name="tang", layers=1, hidden=32, steps=30,
                            eval_every=30, precision="fp32")
        run_training(path)
    return path


@pytest.fixture
def tang(trained_tang: Path, poetui_home: Path) -> str:
    shutil.copytree(trained_tang, poetui_home / "models" / "tang")
    return "tang"


def status(app) -> str:
    return str(app.screen.query_one("#desk-status", Static).render())


async def open_desk(pilot, name: str) -> DeskScreen:
    pilot.app.open_desk(name)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, DeskScreen)
                   and pilot.app.screen.sampler is not None)
    return pilot.app.screen


def poems(desk: DeskScreen) -> list[list[str]]:
    """The poems of the desk's output, each as its lines."""
    return [item.split("\n") for item in desk.query_one(TokenStream).text.split("\n\n")]


async def generate(pilot, desk: DeskScreen) -> None:
    before = len(desk.history)
    desk.query_one("#prompt", Input).focus()
    await pilot.press("enter")
    await wait_for(pilot, lambda: len(desk.history) > before)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# -- novelty --------------------------------------------------------------------------------------

async def test_the_live_sample_and_the_desk_say_how_much_is_new(names_file: Path) -> None:
    path = create_model(str(names_file), name="names", layers=1, hidden=16, batch=16,
                        steps=20, eval_every=10, lr=1e-2, precision="fp32")
    run_training(path)
    last = RunReader(path).poll().samples[-1]
    app = PoetuiApp(attach="names")  # as `poetui attach names` opens it
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        panel = app.screen.query_one(SamplePanel)
        figure = f"sample at step {last['step']:,} · {last['novelty']:.0%} new"
        await wait_for(pilot, lambda: panel.border_title == figure)
        assert figure in screen_text(app)
        # The desk on the same model: a names model gets no quatrain controls, and says how
        # many of the names it wrote are not in the training list.
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, DeskScreen)
                       and app.screen.sampler is not None)
        desk = app.screen
        assert not desk.query_one("#acrostic").display
        controls = desk.query_one(SamplingControls)
        assert "form" not in str(controls.render()) and "title" not in str(controls.render())
        await generate(pilot, desk)
        lines = [line.split(". ", 1)[1] for line in desk.query_one(TokenStream).text.split("\n")]
        names = [line.removesuffix(COPIED) for line in lines]
        train, _ = load_corpus(str(names_file), "records").split()
        share = f"New: {novel_items(names, train):.0%} of its items"
        assert share in status(app), status(app)
        # The names the training list holds are marked, and counted.
        copied = [name for name in names if name in train]
        assert [line.endswith(COPIED) for line in lines] == [name in train for name in names]
        if copied:
            assert status(app).endswith(f"; {len(copied)} marked ◂ it holds."), status(app)



async def test_a_plain_texts_lines_the_training_text_holds_are_marked(tmp_path: Path,
                                                                      poetui_home: Path) -> None:
    """A stream's lines, each marked when the training text holds it whole; the count in the
    status line beside the share of new runs."""
    verse = ["the cat sat on the mat.", "a dog lay by the door.", "all was still."]
    corpus = tmp_path / "verse.txt"
    # Stanzas with a blank line between: one stream (lines alone would be read as records).
    corpus.write_text(("\n".join(verse) + "\n\n") * 150, encoding="utf-8")
    path = create_model(str(corpus), name="verse", layers=1, hidden=48, batch=16, seq_len=48,
                        steps=150, eval_every=150, lr=1e-2, precision="fp32")
    run_training(path)
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, "verse")
        controls = desk.query_one(SamplingControls)
        controls.focus()
        await pilot.press("g")  # greedy: the pattern the model learnt, line after line
        assert controls.greedy
        desk.query_one("#prompt", Input).value = "the cat"
        await generate(pilot, desk)
        lines = desk.query_one(TokenStream).text.split("\n")
        held = [line.endswith(COPIED) for line in lines]
        # Every whole line written is one of the training text's (greedy, a learnt pattern);
        # the last, cut by the length, is not judged.
        assert [line.removesuffix(COPIED).strip() in verse for line in lines[:-1]] == \
            held[:-1], lines
        assert sum(held) >= 2 and not held[-1]
        assert f"; {sum(held)} marked ◂ it holds." in status(app), status(app)
        assert "of its 8-character runs" in status(app)

async def test_a_run_from_before_novelty_still_shows_its_sample(pattern_file: Path) -> None:
    path = create_model(str(pattern_file), "old", "tiny")
    db = sqlite3.connect(path / DB)  # the samples table as earlier versions wrote it
    db.execute("CREATE TABLE samples(step INTEGER, text TEXT, time REAL)")
    db.execute("INSERT INTO samples VALUES (40, 'the cat sat', 1.0)")
    db.commit()
    db.close()
    app = PoetuiApp(attach="old")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        panel = app.screen.query_one(SamplePanel)
        await wait_for(pilot, lambda: panel.border_title == "sample at step 40")
        assert "the cat sat" in screen_text(app)


# -- acrostic, form, title ----------------------------------------------------------------------

async def test_an_acrostic_quatrain_in_the_desk(tang: str) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, tang)
        acrostic = desk.query_one("#acrostic", Input)
        assert acrostic.display
        acrostic.focus()
        await pilot.press(*HEADS, "tab")  # → the controls line
        controls = desk.query_one(SamplingControls)
        assert controls.has_focus
        await pilot.press("f")  # keep to the form
        assert "form kept" in " ".join(screen_lines(app))
        await generate(pilot, desk)
        items = poems(desk)
        assert len(items) == 5
        for number, item in enumerate(items, 1):
            # Its title on a line, then its four lines, under its number.
            assert len(item) == 5 and item[0].startswith(f"{number}. "), item
            assert all(line.startswith("   ") for line in item[1:]), item
            title, colon, poem = "".join(line.strip() for line in item).removeprefix(
                f"{number}. ").removesuffix(COPIED.strip()).partition(":")
            assert colon and title, item
            assert well_formed(poem), item  # of five characters a line, or seven
            assert [line[0] for line in check(poem).lines] == list(HEADS), item
        assert re.search(r"New: \d+% of its poems", status(app)), status(app)
        # Without titles: the same poems' bodies only, as `poetui sample --no-title` prints.
        controls.focus()
        await pilot.press("w")
        assert "without title" in " ".join(screen_lines(app))
        await generate(pilot, desk)
        for number, item in enumerate(poems(desk), 1):
            assert len(item) == 4, item  # four lines, no title
            poem = "".join(line.strip() for line in item).removeprefix(f"{number}. ")
            poem = poem.removesuffix(COPIED.strip())
            assert ":" not in poem and well_formed(poem), item
            assert poem[0] == HEADS[0]
        # One item: the poem alone, no number.
        controls.focus()
        await pilot.press(*"N" * 4)
        assert controls.count == 1
        await generate(pilot, desk)
        text = desk.query_one(TokenStream).text
        assert len(text.split("\n")) == 4, text
        text = text.replace("\n", "").removesuffix(COPIED)
        assert well_formed(text) and text[0] == HEADS[0], text


async def test_a_head_the_model_never_saw_is_one_sentence(tang: str) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, tang)
        desk.query_one("#acrostic", Input).focus()
        await pilot.press(*"春龍", "enter")
        await wait_for(pilot, lambda: "never seen" in status(app))
        assert status(app) == ("An acrostic takes up to 4 characters the model knows; it has "
                               "never seen '龍'.")
        assert desk.history == [] and desk.query_one(TokenStream).text == ""


async def test_regulated_poems_and_their_tones_in_the_desk_and_the_dashboard(tang: str) -> None:
    from tui.widgets.verse import BREAK, ToneMarks, toned_line

    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, tang)
        marks = desk.query_one(ToneMarks)
        assert not marks.display  # nothing written yet
        desk.query_one("#acrostic", Input).focus()
        await pilot.press(*"春秋", "tab", "r")
        assert "regulated" in " ".join(screen_lines(app))
        await generate(pilot, desk)
        items = ["".join(line.strip() for line in poem).split(". ", 1)[1]
                 .removesuffix(COPIED.strip()) for poem in poems(desk)]
        assert len(items) == 5
        for item in items:
            verdict = check(item)
            assert verdict.regulated and verdict.lines[0][0] == "春", item
        assert marks.display
        shown = " ".join(screen_lines(app))
        last = check(items[-1])
        assert f"tones regulated · {last.pattern.start}" in shown, shown
        assert "mask took" in shown and last.lines[0] in shown
        # The colours: 平 and 仄 styled apart, as the dashboard's live sample shows them too.
        lines = [toned_line(last, i) for i in range(4)]
        assert {"bold cyan", "bold yellow"} <= {str(s.style) for t in lines for s in t.spans}
        poem = items[-1].partition(":")[2]
        broken = check(poem[0] + "啼" + poem[2:])  # 啼: in no group, so it fits nothing
        assert BREAK in {str(s.style) for s in toned_line(broken, 0).spans}  # marked
    # The dashboard's live sample colours each well-formed poem the same way.
    from tui.widgets.verse import toned_text

    sample = toned_text("無題:" + items[0].partition(":")[2] + "\nplain text")
    assert sample.plain == "無題:" + items[0].partition(":")[2] + "\nplain text"
    assert {"bold cyan", "bold yellow"} <= {str(s.style) for s in sample.spans}
