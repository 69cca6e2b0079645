"""Co-writing (after Robin Sloan's rnn-writer, locally): an editor whose text the model's state
follows as it is typed, one model step per token (``engine.generate.follow``), in a thread.
Tab shows a suggestion inline, dimmer; ↑/↓ cycle the alternatives; Tab, Return or → accepts
it, Esc or typing on rejects it. Each suggestion is for one revision of the text: one that comes
back after the text has moved on is discarded, never pasted late."""

from __future__ import annotations

import threading
from collections.abc import Callable

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TextArea

from engine.config import SampleConfig

SUGGESTIONS = 4  # the first alone (soonest), then, once it shows, the others in one pass
CHARACTERS = 20  # the length of a suggestion
AFTER = 0.1  # seconds from the first suggestion shown to the others begun


def _shown(suggestion: str) -> str:
    """A suggestion as the editor shows it, inline on one line: a line break in it as ↵ (a
    raw one would end the terminal's line inside the editor's border)."""
    return suggestion.replace("\n", "↵")


class CoWriter(TextArea):
    def __init__(self, **kwargs) -> None:
        super().__init__(soft_wrap=True, show_line_numbers=False, **kwargs)
        self.follower = None
        self.settings: Callable[[], SampleConfig] = SampleConfig
        self.revision = 0  # counts the edits: a suggestion belongs to one revision
        self.followed = -1  # the revision the model's state stands at
        self.followed_text = ""  # … and the text it stands after
        self.wanted = -1  # the revision a suggestion was asked for
        self.offered: list[str] = []  # the suggestions on show, and which one
        self.choice = 0
        self.discarded = 0  # suggestions that came back too late (the text had moved on)
        self.complete = False  # the alternatives are in (after the first suggestion)
        self.accepting = False
        self._lock = threading.Lock()  # one thread at a time moves the follower
        self._blas = 1

    def start(self, sampler, settings: Callable[[], SampleConfig]) -> None:
        from engine.generate.follow import Follower

        self.follower, self.settings = Follower(sampler), settings
        self.followed = -1
        self.step(self.revision, self.before_cursor(), False)

    def before_cursor(self) -> str:
        return self.document.get_text_range((0, 0), self.cursor_location)

    # -- following the text -------------------------------------------------------------------

    def edit(self, edit):
        result = super().edit(edit)
        self.edited()
        return result

    # Undo and redo change the text without passing through ``edit``.
    def _undo_batch(self, edits) -> None:
        super()._undo_batch(edits)
        self.edited()

    def _redo_batch(self, edits) -> None:
        super()._redo_batch(edits)
        self.edited()

    def edited(self) -> None:
        self.revision += 1
        if not self.accepting:
            self.reject()  # typing on rejects a suggestion, even one it matches the start of
        if self.follower is not None:
            self.step(self.revision, self.before_cursor(), False)

    @work(thread=True, group="cowrite")
    def step(self, revision: int, text: str, suggest: bool) -> None:
        """Bring the state to ``text`` (the text of ``revision`` up to the cursor) unless a
        later revision got there first; then, if asked, write the first suggestion from
        there (the others are written once it is painted: see ``offer``)."""
        with self._lock:
            # A later revision may have got here first; the same one again means the cursor
            # moved (the state follows the text before the cursor).
            if revision > self.followed or (revision == self.followed and
                                            text != self.followed_text):
                self.follower.follow(text)
                self.followed, self.followed_text = revision, text
            if not suggest or revision != self.followed:
                return
            from engine.generate.sampler import seeded

            config = self.settings()
            generator = seeded(config)
            offered = self.follower.suggest(1, CHARACTERS, config, generator)
        self.app.call_from_thread(self.offer, revision, offered, config, generator)

    @work(thread=True, group="cowrite")
    def write_others(self, revision: int, config: SampleConfig, generator) -> None:
        """The alternatives to the suggestion on show, in one batched pass, unless the text
        has moved on meanwhile."""
        with self._lock:
            if revision != self.revision or revision != self.followed or not self.offered:
                return
            more = self.follower.suggest(SUGGESTIONS - 1, CHARACTERS, config, generator)
        self.app.call_from_thread(self.add, revision, more)

    # -- suggestions --------------------------------------------------------------------------

    def ask(self) -> None:
        if self.follower is None:
            self.app.notify("The model is still loading.", severity="warning")
            return
        self.wanted = self.revision
        self.step(self.revision, self.before_cursor(), True)

    def offer(self, revision: int, offered: list[str], config: SampleConfig,
              generator) -> None:
        if revision != self.revision or self.wanted != revision:
            self.discarded += 1  # the text moved on: this one is for a text no longer there
            return
        self.offered, self.choice, self.complete = offered, 0, not offered
        self.suggestion = _shown(offered[0]) if offered else ""
        if not offered:
            self.app.notify("The model has nothing to suggest here.", severity="warning")
            return
        self.told()
        # The others once this one is on the screen (the driver's thread writes the frame
        # after the refresh): written meanwhile, they would hold the interpreter from it.
        self.set_timer(AFTER, lambda: self.write_others(revision, config, generator))

    def add(self, revision: int, more: list[str]) -> None:
        """The alternatives, once written, for ↑/↓ (if the first is still on show)."""
        if revision != self.revision or not self.offered:
            return
        self.offered += [m for m in more if m not in self.offered]
        self.complete = True
        self.told()

    def cycle(self, delta: int) -> None:
        self.choice = (self.choice + delta) % len(self.offered)
        self.suggestion = _shown(self.offered[self.choice])
        self.told()

    def accept(self) -> None:
        text = self.offered[self.choice]
        self.reject()
        self.accepting = True
        try:
            self.insert(text)
        finally:
            self.accepting = False

    def action_cursor_right(self, select: bool = False) -> None:
        # → accepts a suggestion, as in Textual's TextArea, but the text as written: the
        # editor's ``suggestion`` holds it as shown (↵ for a line break).
        if self.suggestion:
            self.accept()
            return
        super().action_cursor_right(select)

    def reject(self) -> None:
        self.offered, self.choice, self.wanted = [], 0, -1
        self.suggestion = ""
        self.told()

    def told(self) -> None:
        """What is on offer changed (a suggestion shown, cycled, accepted or rejected): the
        hint below says so in the same frame as the text beside the cursor."""
        for mode in self.ancestors:
            if isinstance(mode, CoWriteMode):
                mode.hint()
                return

    async def _on_key(self, event: events.Key) -> None:
        showing = bool(self.suggestion)
        handled = True
        if event.key == "tab":
            self.accept() if showing else self.ask()
        elif showing and event.key == "enter":
            self.accept()
        elif showing and event.key == "escape":
            self.reject()
        elif showing and event.key in ("up", "down"):
            if len(self.offered) > 1:  # (until the others are written, the keys wait)
                self.cycle(-1 if event.key == "up" else 1)
        else:
            handled = False
        if handled:
            event.stop()
            event.prevent_default()
            return
        await super()._on_key(event)


class CoWriteMode(Vertical):
    def compose(self) -> ComposeResult:
        yield CoWriter(id="cowrite-editor")
        yield Static("", id="cowrite-hint")

    def on_mount(self) -> None:
        self.hint()

    def hint(self) -> None:
        editor = self.query_one(CoWriter)
        if editor.suggestion:
            n = len(editor.offered)
            text = (f"suggestion {editor.choice + 1} of {n} · tab/enter accepts · "
                    + ("↑↓ others · " if n > 1 else "") + "esc or typing on rejects")
        else:
            text = "type; tab asks the model for a suggestion"
        self.query_one("#cowrite-hint", Static).update(text)
