"""Branches (after socketteer's loom): from the branch the writer stands on, N continuations
written in one batched pass become its children; the tree is walked by keys, its branches
kept, renamed or deleted; a token's alternatives can be cycled and the text regenerated from
there as a new branch. The tree is saved with the model after every change, one file per
writing session (``engine.storage.sessions``), and the last one reopens where it was left."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Static
from textual.worker import get_current_worker

from engine.config import SampleConfig
from engine.errors import PoetuiError
from engine.generate.loom import Loom, Token
from tui.widgets.writing.tokens import ALTERNATIVES, TokenView, shown

BRANCHES = 4  # written at once by default
LIMITS = (1, 16)


class LoomMode(Horizontal, can_focus=True):
    BINDINGS = [
        Binding("b", "branch", "Branch", show=False, id="loom.branch"),
        Binding("up", "sibling(-1)", "Sibling ↑", show=False, id="loom.up"),
        Binding("down", "sibling(1)", "Sibling ↓", show=False, id="loom.down"),
        Binding("left", "parent", "Parent", show=False, id="loom.parent"),
        Binding("right", "child", "Child", show=False, id="loom.child"),
        Binding("comma", "token(-1)", "Token ←", show=False, id="loom.token_left"),
        Binding("full_stop", "token(1)", "Token →", show=False, id="loom.token_right"),
        Binding("a", "alternative", "Alternative", show=False, id="loom.alternative"),
        Binding("enter", "regenerate", "From here", show=False, id="loom.regenerate"),
        Binding("plus", "count(1)", show=False, id="loom.more"),
        Binding("minus", "count(-1)", show=False, id="loom.fewer"),
        Binding("k", "keep", "Keep", show=False, id="loom.keep"),
        Binding("d", "delete", "Delete", show=False, id="loom.delete"),
        Binding("r", "rename", "Rename", show=False, id="loom.rename"),
        Binding("e", "export", "Export", show=False, id="loom.export"),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.sampler = None
        self.settings: Callable[[], SampleConfig] = SampleConfig
        self.loom: Loom | None = None
        self.model_path: Path | None = None
        self.session = ""  # the session's file name
        self.positions: dict[int, object] = {}  # node → the model's Position at its end
        self.count = BRANCHES
        self.alternative = 0  # which alternative of the token under the cursor; 0: as written
        self.doomed: int | None = None  # a branch whose deletion waits for a second d
        self.busy = False
        self._saving = threading.Lock()
        self._unsaved: dict | None = None

    def compose(self) -> ComposeResult:
        yield TokenView(keys=False, id="loom-text")
        yield Static("", id="loom-tree")

    # -- opening --------------------------------------------------------------------------------

    def start(self, sampler, model_path: Path, prompt: str,
              settings: Callable[[], SampleConfig], fresh: bool = False) -> str | None:
        """The last session of the model reopened (or, ``fresh`` or with none, a new tree
        from ``prompt``); a sentence if a saved tree could not be read."""
        from engine.storage import sessions

        self.sampler, self.model_path, self.settings = sampler, model_path, settings
        self.positions, said = {}, None
        last = None if fresh else sessions.latest(model_path)
        if last is not None:
            try:
                self.loom = Loom.from_json(sessions.load(last), len(sampler.vocab))
                self.session = last.name
            except PoetuiError as exc:
                said, last = str(exc), None
        if last is None:
            self.loom, self.session = Loom(prompt), sessions.new_name()
        self.paint()
        return said

    @property
    def started(self) -> bool:
        return self.loom is not None

    def position(self, node: int):
        """The model's state at the end of ``node``: kept, or made from its parent's by
        feeding the node's tokens (one step each)."""
        if node not in self.positions:
            n = self.loom.nodes[node]
            if n.parent is None:
                here = self.sampler.begin(self.sampler.prime(self.loom.prompt))
            else:
                here = self.position(n.parent).copy()
            for token in n.tokens:
                here.feed(token.id)
            self.positions[node] = here
        return self.positions[node]

    # -- showing --------------------------------------------------------------------------------

    def paint(self, cursor: int | None = None) -> None:
        loom = self.loom
        view = self.query_one(TokenView)
        tokens = [t for _, _, t in loom.tokens()]
        view.note = self.token_note(view)
        view.show(tokens, loom.prompt, cursor)
        view.note = self.token_note(view)
        view.paint()
        self.query_one("#loom-tree", Static).update(self.tree_text())

    def token_note(self, view: TokenView) -> str:
        token = view.token
        if self.alternative and token is not None and token.alternatives:
            i, tok, p = self.alternatives(token)[self.alternative - 1]
            return f"instead: {shown(tok)} {p:.3f} · enter writes on from it"
        return f"b writes {self.count} · ,/. token · a its alternatives"

    def alternatives(self, token: Token) -> list[tuple[int, str, float]]:
        return [a for a in token.alternatives if a[0] != token.id]

    def tree_text(self) -> Text:
        loom = self.loom
        node = loom.nodes[loom.current]
        siblings = loom.siblings(node.id)
        depth = len(loom.path()) - 1
        text = Text()
        text.append(f"depth {depth} · {len(siblings)} here\n", style="bold")
        for n in siblings:
            mark = "▸" if n.id == node.id else " "
            kept = "★" if n.kept else " "
            label = n.name or " ".join(n.text.split())[:22] or "(empty)"
            text.append(f"{mark}{kept}{label[:22]}\n", style="reverse" if n.id == node.id else "")
        below = len(loom.children(node.id))
        text.append(f"{below} below (→)\n" if below else "none below: b\n")
        text.append("↑↓ siblings ← parent\nk keep · r rename\nd delete · e export")
        if self.busy:
            text.append("\nwriting…", style="italic")
        return text

    # -- walking --------------------------------------------------------------------------------

    def go(self, node: int) -> None:
        self.loom.current = node
        self.alternative, self.doomed = 0, None
        self.paint()
        self.save()

    def action_sibling(self, delta: int) -> None:
        siblings = [n.id for n in self.loom.siblings(self.loom.current)]
        i = siblings.index(self.loom.current)
        self.go(siblings[(i + delta) % len(siblings)])

    def action_parent(self) -> None:
        parent = self.loom.nodes[self.loom.current].parent
        if parent is not None:
            self.go(parent)

    def action_child(self) -> None:
        children = self.loom.children(self.loom.current)
        if children:
            self.go(children[0].id)

    def action_token(self, delta: int) -> None:
        view = self.query_one(TokenView)
        view.move(delta)
        self.alternative = 0
        view.note = self.token_note(view)
        view.paint()

    def action_alternative(self) -> None:
        view = self.query_one(TokenView)
        token = view.token
        if token is None or not self.alternatives(token):
            self.app.notify("This token has no alternatives kept.", severity="warning")
            return
        self.alternative = self.alternative % len(self.alternatives(token)) + 1
        view.note = self.token_note(view)
        view.paint()

    def action_count(self, delta: int) -> None:
        self.count = max(LIMITS[0], min(LIMITS[1], self.count + delta))
        self.paint()

    # -- growing --------------------------------------------------------------------------------

    def action_branch(self) -> None:
        self.grow(self.loom.current, None, self.count)

    def action_regenerate(self) -> None:
        """From the token under the cursor: its chosen alternative, then a new continuation,
        as a new branch beside the text as it was."""
        view = self.query_one(TokenView)
        if not self.alternative or view.token is None:
            self.app.notify("Press a to pick one of this token's alternatives first.",
                            severity="warning")
            return
        node, index, token = self.loom.tokens()[view.cursor]
        first = self.alternatives(token)[self.alternative - 1][0]
        end = self.positions.get(node)
        at = self.loom.split(node, index)
        if at == node:  # cut in two: the node ends sooner, its tail ends where it did
            self.positions.pop(node, None)
            if end is not None:
                self.positions[self.loom.children(node)[0].id] = end
        self.alternative = 0
        self.grow(at, first, 1)

    def grow(self, parent: int, first: int | None, count: int) -> None:
        if self.busy:
            self.app.notify("Still writing branches.", severity="warning")
            return
        self.busy = True
        self.paint()
        self.write_branches(parent, first, count, self.settings())

    @work(thread=True, exclusive=True, group="loom")
    def write_branches(self, parent: int, first: int | None, count: int,
                       config: SampleConfig) -> None:
        from engine.generate.sampler import seeded

        worker = get_current_worker()
        with self.sampler.threads():
            start = self.position(parent)
            lead: list[Token] = []
            if first is not None:
                lead = [Token.written(start.written(first, config, ALTERNATIVES))]
                start = start.copy()
                start.feed(first)
            branches = self.sampler.branches(start, count, config, seeded(config),
                                             alternatives=ALTERNATIVES)
        if not worker.is_cancelled:
            self.app.call_from_thread(self.grown, parent, lead, branches)

    def grown(self, parent: int, lead: list[Token], branches) -> None:
        self.busy = False
        first = None
        for written, end in branches:
            node = self.loom.add(parent, lead + [Token.written(w) for w in written])
            self.positions[node.id] = end
            first = first or node.id
        if first is not None:
            self.go(first)

    # -- keeping ----------------------------------------------------------------------------------

    def action_keep(self) -> None:
        node = self.loom.nodes[self.loom.current]
        if node.id:
            node.kept = not node.kept
            self.paint()
            self.save()

    def action_delete(self) -> None:
        current = self.loom.current
        if current == 0:
            self.app.notify("The prompt is the root of the tree; it cannot be deleted.",
                            severity="warning")
            return
        if self.doomed != current:
            self.doomed = current
            self.app.notify("Press d again to delete this branch and what grows from it.",
                            severity="warning", timeout=4)
            return
        gone = {current}
        stack = [current]
        while stack:
            for child in self.loom.children(stack.pop()):
                gone.add(child.id)
                stack.append(child.id)
        self.loom.delete(current)
        for node in gone:
            self.positions.pop(node, None)
        self.go(self.loom.current)

    class Ask(Message):
        """The loom needs a line from the writer (a name, a path): the screen asks it in a
        dialog and calls ``answered`` with it (None: cancelled)."""

        def __init__(self, prompt: str, value: str, answered: Callable[[str | None], None]
                     ) -> None:
            super().__init__()
            self.prompt, self.value, self.answered = prompt, value, answered

    class Export(Message):
        """The current path's text, to be saved where the writer says."""

        def __init__(self, text: str, default: str) -> None:
            super().__init__()
            self.text, self.default = text, default

    def action_rename(self) -> None:
        node = self.loom.nodes[self.loom.current]

        def named(name: str | None) -> None:
            if name is not None:
                node.name = name.strip()[:40]
                self.paint()
                self.save()

        self.post_message(self.Ask("Name this branch:", node.name, named))

    def action_export(self) -> None:
        self.post_message(self.Export(self.loom.text(), f"~/{self.model_path.name}-branch.txt"))

    def save(self) -> None:
        """The tree as it is now, written whole (in a thread: a screen never waits on disk).
        Of saves that pile up, the newest is written; none overlap."""
        if self.model_path is not None and self.loom is not None:
            self._unsaved = self.loom.to_json()
            self.write_session()

    @work(thread=True, group="loom-save")
    def write_session(self) -> None:
        from engine.storage import sessions

        try:
            with self._saving:
                data, self._unsaved = self._unsaved, None
                if data is not None:
                    sessions.save(self.model_path, self.session, data)
        except OSError as exc:
            self.app.call_from_thread(self.app.notify, f"Could not save the tree "
                                      f"({exc.strerror}).", severity="error")
