"""The poetui Textual app: a library of models, a live training dashboard and a writing desk.

The app is a viewer and controller: training runs in its own process (engine.train.worker.spawn) and
the run store is where the two meet. Nothing here imports PyTorch at start, so the library paints
first; screens that need torch load it in a thread worker.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from functools import partial
from pathlib import Path

from rich.console import Console
from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.geometry import Size
from textual.screen import Screen
from textual.theme import Theme

from engine.errors import PoetuiError
from engine.storage import store
from engine.storage.folder import ModelSummary, RunState
from engine.storage.runlock import is_locked
from tui import settings

# Below this the layouts cannot hold their panels; the app says so instead of drawing garbage.
MIN_WIDTH, MIN_HEIGHT = 60, 20


class PoetuiApp(App):
    # Absolute, so subclasses elsewhere (the snapshot tests') find the stylesheet too.
    CSS_PATH = Path(__file__).parent / "poetui.tcss"
    TITLE = "poetui"
    # Below 80 columns screens get the -narrow class: side panels give way (see poetui.tcss).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (80, "-wide")]
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("question_mark", "help", "Help", show=False, id="app.help_q"),
    ]

    def __init__(self, attach: str | None = None, choose: list[ModelSummary] | None = None,
                 ) -> None:
        """``attach``: the run whose dashboard opens first; ``choose``: the live runs to pick
        one from first (a bare `poetui attach` with several going)."""
        super().__init__()
        self.choose_from = choose or []
        # A crash's traceback is kept for the crash log, not printed over the user's terminal
        # (run_app says in one sentence where it went).
        self.error_console = Console(file=io.StringIO(), markup=False, highlight=False,
                                     width=100, color_system=None)
        self.attach_to = attach
        # Runs this session started or watched: quitting with one alive asks detach or stop.
        self.watched_runs: set[str] = set()
        # The model whose dashboard or desk was opened last: the library's cursor returns to it.
        self.came_from: str | None = None
        # The models as the library last read them (in its thread): what the palette offers.
        self.known_models: list[ModelSummary] = []
        saved = settings.load().get("theme")
        if saved in self.available_themes:
            self.theme = saved

    def on_mount(self) -> None:
        from tui.screens.library import LibraryScreen

        self.push_screen(LibraryScreen())
        if self.attach_to:
            self.open_dashboard(self.attach_to)
        elif self.choose_from:
            self.choose_run(self.choose_from)
        self.check_size()

    # -- navigation used by several screens ---------------------------------------------------

    def open_dashboard(self, name: str) -> None:
        from tui.screens.dashboard import DashboardScreen

        self.watched_runs.add(name)
        self.came_from = name
        self.push_screen(DashboardScreen(name))

    def choose_run(self, runs: list[ModelSummary]) -> None:
        from tui.screens.dialogs import RunChooser

        def chosen(name: str | None) -> None:
            if name:
                self.open_dashboard(name)

        self.push_screen(RunChooser([(run.name, run_about(run)) for run in runs]), chosen)

    def open_desk(self, name: str, translates: bool = False, which: str = "best",
                  classifies: bool = False) -> None:
        """Write with ``name``: the writing desk, or the translate screen for a model that
        ``translates`` (every "write" key and command comes here, so each opens the right one;
        the caller has the model's summary and so knows which)."""
        self.came_from = name
        if classifies:
            from tui.screens.classify_desk import ClassifyDeskScreen

            self.push_screen(ClassifyDeskScreen(name, which))
        elif translates:
            from tui.screens.translate import TranslateScreen

            self.push_screen(TranslateScreen(name, which))
        else:
            from tui.screens.desk import DeskScreen

            self.push_screen(DeskScreen(name, which))

    def open_new_model(self) -> None:
        from tui.screens.new_model import NewModelScreen

        self.push_screen(NewModelScreen())

    def start_run(self, name: str, changes: dict | None = None) -> None:
        """Spawn the training process for ``name`` and show its dashboard. ``changes`` (a new
        budget) go to the process, which writes them under the model's lock; spawn checks
        them first, so a refusal is a sentence here and nothing is written."""
        from engine.train.worker import spawn

        try:
            spawn(name, changes)
        except (PoetuiError, OSError) as exc:
            self.notify(str(exc), severity="error")
            return
        self.open_dashboard(name)

    def running_watched(self) -> list[str]:
        alive = []
        for name in sorted(self.watched_runs):
            try:
                if is_locked(store.existing(name)):
                    alive.append(name)
            except PoetuiError:
                continue
        return alive

    # -- app-wide actions ---------------------------------------------------------------------

    def action_help(self) -> None:
        from tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_quit(self) -> None:
        alive = self.running_watched()
        if not alive:
            self.exit(0)
            return
        from tui.screens.dialogs import QuitDialog

        def decide(choice: str | None) -> None:
            if choice == "stop":
                from engine.storage.runstore import send_command

                for name in alive:
                    send_command(store.existing(name), "stop")
                self.exit(0)
            elif choice == "detach":
                self.exit(0)

        self.push_screen(QuitDialog(alive), decide)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The palette (ctrl+p): the current screen's own keys, Textual's entries (theme,
        quit, keys), then poetui's models."""
        yield from screen_commands(screen)
        yield from super().get_system_commands(screen)
        yield SystemCommand("New model", "Pick a corpus and settings, then start training",
                            self.open_new_model)
        for model in self.known_models:
            name = model.name
            if model.state is RunState.DAMAGED:
                continue  # nothing to do with it but delete it, in the library
            if model.state.live:
                yield SystemCommand(f"Attach: {name}", f"Open the live dashboard of '{name}'",
                                    lambda name=name: self.open_dashboard(name))
            else:
                yield SystemCommand(f"Train: {name}", f"Train '{name}' further (its budget)",
                                    lambda name=name: self.start_run(name))
            if model.steps:
                verb, where = ("Translate", "translate screen") if model.translates else \
                    ("Generate", "writing desk")
                yield SystemCommand(f"{verb}: {name}", f"Open the {where} on '{name}'",
                                    lambda m=model: self.open_desk(m.name, m.translates,
                                                                   classifies=m.classifies))

    @property
    def available_themes(self) -> dict[str, Theme]:
        themes = super().available_themes
        # NO_COLOR makes Textual grey every colour; the ANSI themes' colours are the terminal's
        # own and turn black on black. So under NO_COLOR they are not offered, and a saved one
        # gives way to the default (the saved choice stays for sessions with colour).
        # getattr: Textual asks for themes before it has read NO_COLOR.
        if getattr(self, "no_color", False):
            themes = {name: theme for name, theme in themes.items() if not theme.ansi}
        return themes

    def watch_theme(self, theme: str) -> None:
        settings.save(theme=theme)

    # -- size ---------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        # The app's own size updates a moment after this event; the event has the new one.
        self.check_size(event.size)

    def check_size(self, size: Size | None = None) -> None:
        from tui.screens.too_small import TooSmallScreen

        size = size or self.size
        small = size.width < MIN_WIDTH or size.height < MIN_HEIGHT
        showing = isinstance(self.screen, TooSmallScreen)
        if small and not showing:
            self.push_screen(TooSmallScreen(MIN_WIDTH, MIN_HEIGHT))
        elif showing:
            if small:
                self.screen.show_size(size.width, size.height)
            else:
                self.pop_screen()


def screen_commands(screen: Screen) -> Iterable[SystemCommand]:
    """Every key binding of ``screen`` that it would obey now, as a palette entry: what the
    footer shows and what it leaves out for room (a key its check_action hides is left out
    here too)."""
    seen = {binding.action for binding in Screen.BINDINGS}  # Textual's focus and copy keys
    for active in screen.active_bindings.values():
        binding = active.binding
        if active.node is not screen or not active.enabled or not binding.description \
                or binding.action in seen:
            continue
        seen.add(binding.action)
        key = screen.app.get_key_display(binding)
        about = f"key {key}" + (f" · {binding.tooltip}" if binding.tooltip else "")
        yield SystemCommand(binding.description, about, partial(screen.run_action, binding.action))


def run_about(run: ModelSummary) -> str:
    """How a live run reads in a list of them: its state, corpus and shape."""
    return f"{run.state.words} · {Path(run.corpus).name} · {run.size}"


def run_app(attach: str | None = None) -> int:
    """Open the app; ``attach`` names a run to watch ("" means the one running, or a choice
    among them when there are several)."""
    choose: list[ModelSummary] = []
    if attach == "":
        running = store.running_models()
        if not running:
            print("poetui: no training run is in progress; start one with `poetui train` "
                  "or from the app.", file=sys.stderr)
            return 1
        if len(running) == 1:
            attach = running[0].name
        elif sys.stdin.isatty() and sys.stdout.isatty():
            attach, choose = None, running  # the app asks which
        else:  # nobody to ask: say what there is and how to pick
            listed = "; ".join(f"{run.name} ({run_about(run)})" for run in running)
            print(f"poetui: {len(running)} runs are in progress: {listed}; name the one to "
                  "watch: poetui attach NAME.", file=sys.stderr)
            return 1
    elif attach is not None and not is_locked(store.existing(attach)):
        print(f"poetui: model '{attach}' is not training right now; open `poetui` to "
              "train it further.", file=sys.stderr)
        return 1
    app = PoetuiApp(attach=attach, choose=choose)
    app.run()
    if app.return_code:  # an unexpected error ended the app
        from tui.crash import crash_sentence, write_crash_log

        log = write_crash_log(app.error_console.file.getvalue() or "(no traceback)")
        print(f"poetui: the app stopped on an unexpected error; {crash_sentence(log)}",
              file=sys.stderr)
        return 2
    return 0
