"""The desk's ways of writing with a real (tiny, briefly trained) model, driven by their keys:
the text coloured by surprisal with a token's alternatives, picking the next token, branches
that are saved and reopen after a restart of the app, and co-writing with suggestions that are
accepted, or discarded when the text has moved on."""

from __future__ import annotations

import json
import re

import pytest
from helpers import wait_for
from screen_text import region_lines, screen_text
from textual.widgets import Input

from engine.config import SampleConfig
from engine.generate.sampler import seeded
from engine.storage import sessions, store
from tui.app import PoetuiApp
from tui.screens.desk import DeskScreen
from tui.screens.dialogs import TextDialog
from tui.widgets.sampling import SamplingControls
from tui.widgets.writing.cowrite import CoWriter
from tui.widgets.writing.loom import LoomMode
from tui.widgets.writing.pick import PickMode
from tui.widgets.writing.tokens import TokenView

pytestmark = pytest.mark.timeout(180)


def shows(app: PoetuiApp, view: TokenView, text: str) -> bool:
    """Whether the text panel of ``view`` shows ``text`` (as wrapped: spacing aside)."""
    body = view.query_one(".tokens-body")
    shown = "".join(region_lines(app, body.region))
    return "".join(text.split()) in "".join(shown.split())


async def open_desk(pilot, name: str) -> DeskScreen:
    pilot.app.open_desk(name)
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, DeskScreen)
                   and pilot.app.screen.sampler is not None)
    desk = pilot.app.screen
    desk.query_one(SamplingControls).seed = 0
    return desk


async def test_the_text_coloured_by_surprisal_and_a_tokens_alternatives(writer: str) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, writer)
        desk.query_one(SamplingControls).length = 50
        await pilot.press(*"the ", "enter")
        await wait_for(pilot, lambda: len(desk.history) == 1)
        await pilot.press("ctrl+t")
        view = desk.query_one("#probabilities", TokenView)
        assert view.display and len(view.tokens) == 50
        text = screen_text(app)
        assert "bits ■<1 ■1–3 ■3–5 ■5–8 ■≥8" in text  # the legend
        last = view.tokens[-1]
        # The cursor's token: its probability, surprisal and the ten likeliest in its place.
        assert f"p {last.probability:.3f} · {last.surprisal:.2f} bits" in text
        assert len(last.alternatives) == 10
        for _, token, probability in last.alternatives:
            assert re.search(rf"{re.escape(token.replace(' ', '␣'))} {probability:.3f}", text)
        await pilot.press("left", "left")
        assert view.cursor == 47
        token = view.tokens[47]
        assert f"p {token.probability:.3f} · {token.surprisal:.2f} bits" in screen_text(app)
        await pilot.press("ctrl+t")  # and back to the plain text
        assert not view.display


async def test_picking_the_next_token(writer: str) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, writer)
        desk.query_one("#prompt", Input).value = "the c"
        await pilot.press("f3")
        pick = desk.query_one(PickMode)
        assert pick.started and pick.has_focus
        first = pick.choices()
        assert len(first) == 9 and f"1 {first[0].token.replace(' ', '␣')}" in screen_text(app)
        await pilot.press("1")  # the likeliest
        assert pick.text == "the c" + first[0].token
        second = pick.choices()
        await pilot.press("3")  # the third likeliest
        assert pick.text == "the c" + first[0].token + second[2].token
        await pilot.press("space")  # one sampled at the desk's settings
        assert len(pick.tokens) == 3
        assert shows(app, pick.query_one(TokenView), pick.text)
        # Each token was one model step from the position kept after the one before.
        assert [p.steps for p in pick.stack[1:]] == [1, 1, 1]
        await pilot.press("backspace", "backspace")
        assert pick.text == "the c" + first[0].token
        assert [c.id for c in pick.choices()] == [c.id for c in second]


async def test_branches_are_saved_and_reopen_after_a_restart(writer: str) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, writer)
        desk.query_one(SamplingControls).length = 50
        desk.query_one("#prompt", Input).value = "the "
        await pilot.press("f4")
        loom = desk.query_one(LoomMode)
        await pilot.press("b")  # four continuations, in one batched pass
        await wait_for(pilot, lambda: not loom.busy and len(loom.loom.nodes) == 5)
        tree = loom.loom
        assert [n.parent for n in tree.nodes.values()][1:] == [0, 0, 0, 0]
        assert "depth 1 · 4 here" in screen_text(app)
        await pilot.press("down")  # the next sibling
        second = tree.current
        assert second == tree.children(0)[1].id
        assert shows(app, loom.query_one(TokenView), tree.text())
        await pilot.press("k", "r")
        await wait_for(pilot, lambda: isinstance(app.screen, TextDialog))
        await pilot.press(*"second", "enter")
        await wait_for(pilot, lambda: tree.nodes[second].name == "second")
        assert "★second" in screen_text(app)
        # A token's alternative, and a new branch written on from it.
        await pilot.press(*"," * 10, "a")
        cursor = loom.query_one(TokenView).cursor
        assert cursor == 49 - 10 and "instead:" in screen_text(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: not loom.busy and len(tree.nodes) == 7)  # cut + branch
        new = tree.nodes[tree.current]
        assert len(tree.path()) == 3 and len(tree.siblings(new.id)) == 2
        assert new.tokens[0].id != tree.siblings(new.id)[0].tokens[0].id
        # Deleting asks twice.
        await pilot.press("d")
        assert tree.current in tree.nodes
        await pilot.press("d")
        await wait_for(pilot, lambda: len(tree.nodes) == 6)
        path_text, current = tree.text(), tree.current
        await wait_for(pilot, lambda: sessions.latest(store.model_path(writer)) is not None
                       and json.loads(sessions.latest(store.model_path(writer)).read_text())
                       ["current"] == current)
        await pilot.press("ctrl+q")
    saved = sessions.latest(store.model_path(writer))
    assert saved.parent.name == "sessions" and len(list(saved.parent.iterdir())) == 1

    app = PoetuiApp()  # the app again, as after a restart
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, writer)
        await pilot.press("f4")
        loom = desk.query_one(LoomMode)
        assert loom.loom.current == current and loom.loom.text() == path_text
        assert "second" in [n.name for n in loom.loom.nodes.values()]
        assert shows(app, loom.query_one(TokenView), path_text)


async def test_a_suggestion_with_a_line_break_shows_on_one_line(writer: str) -> None:
    """Shown inline, a suggestion keeps to the cursor's line (its break drawn as ↵, since a
    raw one would end the terminal's line inside the box); accepted, it is the text."""
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, writer)
        await pilot.press("f5")
        editor = desk.query_one(CoWriter)
        await pilot.press(*"the c")
        await wait_for(pilot, lambda: editor.followed == editor.revision)
        editor.wanted = editor.revision
        editor.offer(editor.revision, ["at\nthe"], SampleConfig(), seeded(SampleConfig(seed=1)))
        await pilot.pause()
        assert "│ the cat↵the" in screen_text(app)
        await pilot.press("enter")
        assert editor.text == "the cat\nthe" and not editor.suggestion
        # → accepts too (as in any text area), the text as written.
        editor.wanted = editor.revision
        editor.offer(editor.revision, [" end\n"], SampleConfig(), seeded(SampleConfig(seed=1)))
        await pilot.pause()
        await pilot.press("right")
        assert editor.text == "the cat\nthe end\n" and not editor.suggestion


async def test_co_writing_accepts_a_suggestion_and_discards_a_late_one(writer: str) -> None:
    app = PoetuiApp()
    async with app.run_test(size=(80, 24)) as pilot:
        desk = await open_desk(pilot, writer)
        await pilot.press("f5")
        editor = desk.query_one(CoWriter)
        assert editor.has_focus
        await pilot.press(*"the c")
        await wait_for(pilot, lambda: editor.followed == editor.revision)
        assert editor.follower.ids == editor.follower.sampler.vocab.encode("the c")
        await pilot.press("tab")
        await wait_for(pilot, lambda: bool(editor.suggestion))
        suggestion = editor.suggestion
        assert f"the c{suggestion}" in screen_text(app)  # inline, after the cursor
        assert "suggestion 1 of" in screen_text(app)
        await pilot.press("enter")  # accepted
        assert editor.text == f"the c{suggestion}" and not editor.suggestion
        await wait_for(pilot, lambda: editor.followed == editor.revision)
        # Asked, then typed on before it came: it is discarded, never pasted.
        before = editor.discarded
        editor.ask()
        editor.insert("x")
        await wait_for(pilot, lambda: editor.discarded == before + 1)
        await pilot.pause()
        assert not editor.suggestion and editor.text == f"the c{suggestion}x"
        # And one rejected with escape.
        await pilot.press("tab")
        await wait_for(pilot, lambda: bool(editor.suggestion))
        await pilot.press("escape")
        assert not editor.suggestion and isinstance(app.screen, DeskScreen)
        assert editor.text == f"the c{suggestion}x"
        # Undone, the text is shorter: the state follows it there too.
        await pilot.press("ctrl+z")
        await wait_for(pilot, lambda: editor.followed == editor.revision)
        assert editor.text != f"the c{suggestion}x"
        vocab = editor.follower.sampler.vocab
        assert editor.follower.ids == vocab.encode(editor.before_cursor())
