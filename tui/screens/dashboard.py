"""The training dashboard: a run's loss, progress, metrics and samples, live from the run store.

The run trains in its own process. A thread of this screen pulls what is new from the run store
four times a second (never a message per step) and posts it only when there is something new,
so the UI thread never waits on SQLite; commands go back through the run store.
"""

from __future__ import annotations

import json
import threading
import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Header, Static

from engine.errors import PoetuiError
from engine.storage import store
from engine.storage.folder import ModelFolder, RunState
from engine.storage.history import HistoryChunk, HistoryReader, RunHistory
from engine.storage.runlock import is_locked
from engine.storage.runstore import RunReader, send_command
from tui.messages import RunPolled
from tui.screens.run_picker import compare_runs
from tui.widgets.classifier import ClassifierPanel
from tui.widgets.key_footer import KeyFooter
from tui.widgets.loss import LossSparklines
from tui.widgets.metrics import MetricsPanel
from tui.widgets.run_chart import RunChart
from tui.widgets.run_progress import RunProgress
from tui.widgets.samples import SamplePanel

# The run store is read this often, and once a second while the chart is shown (a read that
# brings rows redraws it). The app's CPU is felt by a run on every core of a small machine at
# its thread barriers: with four reads a second and the chart following the run on a timer of
# its own, the run trained at 0.90 of its headless speed with the chart open; with two,
# 0.944, 0.948 and 0.898 (bench/dashboard.py, three runs, 2 cores: as noisy as the gain);
# with one read a second under the chart, and the chart redrawn in it, 0.971 (the app at 6 %
# of a core, from 9 %). Keys never wait for a read.
POLL_SECONDS = 0.5
CHART_POLL_SECONDS = 1.0
# A log line (a checkpoint saved, …) is news for this long; after that the status line drops it.
MESSAGE_SECONDS = 15.0


class DashboardScreen(Screen):
    HELP_TITLE = "Training dashboard"
    HELP_TEXT = ("The run trains in its own process; this screen watches it through the run "
                 "store. Leaving (d or escape) does not stop it.")
    # The footer holds about six keys at 80 columns: the ones most needed come first, and the
    # rarer ones stay out of it (help and the command palette still list them).
    BINDINGS = [
        Binding("p", "pause", "Pause/resume", id="dashboard.pause"),
        Binding("s", "stop", "Stop", id="dashboard.stop"),
        Binding("d,escape", "detach", "Detach", key_display="d", id="dashboard.detach"),
        Binding("w", "desk", "Write", id="dashboard.desk"),
        Binding("l", "chart", "Chart", id="dashboard.chart"),
        Binding("c", "checkpoint", "Checkpoint", show=False, id="dashboard.checkpoint"),
        Binding("m", "sample", "Sample now", show=False, id="dashboard.sample"),
    ]

    # The chart's keys (l shows it), listed in help with the dashboard's own.
    HELP_BINDINGS = RunChart.BINDINGS

    def __init__(self, name: str) -> None:
        super().__init__()
        self.model_name = name
        self.model_dir = store.existing(name)
        self.history = RunHistory()  # steps, evaluations and samples as columns (the chart's)
        self.last_step: dict | None = None
        self.last_eval: dict | None = None
        self.status: dict[str, str] = {}
        self.last_log: dict | None = None  # the newest log row: message and time
        self.alive = True
        self.polled = False  # the first poll has come in
        self.shown_status = ""
        # The poller's own (in its thread, one poll at a time): the reader, the last status
        # and lock it posted, whether a poll is going, the model's kind.
        self.reader: RunReader | None = None
        self.history_reader = HistoryReader()
        self.last_poll: tuple | None = None
        self.polling = self.closed = False
        self.polled_at = 0.0  # when the last poll began (monotonic)
        self.overview_shown = threading.Event()  # set once a long run's overview is painted
        self.translates = False
        # A translation run reports chrF at each evaluation (the run store's status "chrf"):
        # the poller reads which kind of model it is, with its first poll.
        self.translating = False
        self.class_names: tuple[str, ...] = ()  # a classifier's (read by the poller)
        self.accuracies: list[float] = []
        self.last_sample: dict | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="dashboard"):
            yield Static("", id="run-status")
            yield RunProgress(id="run-progress")
            with Horizontal(id="run-middle"):
                yield LossSparklines(id="loss")
                yield MetricsPanel(id="metrics")
            yield RunChart(id="chart")
            yield SamplePanel(id="sample")
            yield ClassifierPanel(id="classifier-panel")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(RunChart).set_run(self.model_name, self.history)
        self.query_one("#classifier-panel").display = False
        self.query_one("#loss").border_title = "loss"
        self.query_one("#sample").border_title = "sample"
        self.set_interval(POLL_SECONDS, self.tick)
        self.tick()
        # A log line is news for MESSAGE_SECONDS: the status line drops it without new rows.
        self.set_interval(1.0, self.show_status)

    def on_unmount(self) -> None:
        self.closed = True
        self.overview_shown.set()
        if not self.polling and self.reader is not None:
            self.reader.close()  # else the poll in flight closes it as it ends

    # -- the pull loop --------------------------------------------------------------------------

    def tick(self) -> None:
        if self.polling:  # one poll at a time: the reader's cursor moves with each
            return
        every = CHART_POLL_SECONDS if self.query_one(RunChart).display else POLL_SECONDS
        # The timer ticks every POLL_SECONDS, a little late or early: half a tick's slack.
        if time.monotonic() - self.polled_at < every - POLL_SECONDS / 2:
            return
        self.polling, self.polled_at = True, time.monotonic()
        self.poll_run()

    @work(thread=True, group="poll")
    def poll_run(self) -> None:
        """Poll the run store and the lock in a thread; post what is new (and any change of
        the lock or the status), nothing when nothing changed."""
        try:
            if self.reader is None:
                folder = ModelFolder(self.model_dir)
                self.translates = not folder.damaged and folder.translates
                if not folder.damaged and folder.kind.classifies:
                    self.class_names = tuple(folder.vocab().classes)
                self.reader = RunReader(self.model_dir)
            delta = self.reader.poll(tables=("log",))
            alive = is_locked(self.model_dir)
            db = self.reader.connection()
            chunk = HistoryChunk() if db is None else \
                self.history_reader.overview(db) or self.history_reader.read(db)
            if chunk or delta.log or (delta.status, alive) != self.last_poll:
                self.last_poll = (delta.status, alive)
                self.post_message(RunPolled(delta, alive, self.translates, chunk,
                                           self.class_names))
            # A long history: every step comes next, as one chunk, once the overview is on
            # screen (reading a million rows holds the interpreter for seconds: begun at once,
            # it would hold back the first paint it follows).
            if chunk.overview:
                self.overview_shown.wait(timeout=2.0)
            rest = None
            while chunk.more and not self.closed:
                chunk = self.history_reader.read(db)
                rest = chunk if rest is None else rest.merged(chunk)
            if rest:
                self.post_message(RunPolled(type(delta)(status=delta.status), alive,
                                            self.translates, rest, self.class_names))
        finally:
            self.polling = False
            if self.closed and self.reader is not None:
                self.reader.close()

    def on_run_polled(self, message: RunPolled) -> None:
        delta = message.delta
        was_live = self.state.live
        self.alive, self.polled = message.alive, True
        self.translating = message.translates
        self.status = delta.status
        chunk = message.chunk
        if chunk.overview:
            self.call_after_refresh(self.overview_shown.set)
        cut = self.history.add(chunk)
        if chunk.last_step:
            self.last_step = chunk.last_step
        if chunk.last_eval:
            self.last_eval = chunk.last_eval
        if delta.log:
            self.last_log = delta.log[-1]
        if message.classes:
            self.show_classifier(message)
            return
        with self.app.batch_update():
            chart = self.query_one(RunChart)
            chart.grew(cut)  # redraws only when shown
            if not chart.display:  # hidden under the chart: brought up to date as it goes
                self.show_sparklines()
                if chunk.samples:
                    self.query_one(SamplePanel).show(vars(chunk.samples[-1]))
                self.show_metrics()
            self.query_one(RunProgress).show(self.last_step)
            self.show_status()
        if self.state.live != was_live:
            self.refresh_bindings()  # the run's own keys come and go with it (check_action)

    # Keys that only a live run obeys: a finished run's footer and palette do not offer them.
    RUN_ACTIONS = frozenset({"pause", "stop", "checkpoint", "sample"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.state.live or action not in self.RUN_ACTIONS

    def show_classifier(self, message: RunPolled) -> None:
        """A classifier's run: accuracy beside the loss, the confusion matrix and a held-out
        digit, in place of the language model's middle and sample."""
        accuracies = self.history.eval_column("accuracy")
        self.accuracies = [float(a) for a in accuracies if a == a]  # NaN: no figure
        if self.history.samples:
            self.last_sample = vars(self.history.samples[-1])
        try:
            confusion = json.loads(self.status.get("confusion", "null"))
        except ValueError:
            confusion = None
        with self.app.batch_update():
            for widget, shown in (("#run-middle", False), ("#sample", False),
                                  ("#classifier-panel", True)):
                self.query_one(widget).display = shown
            self.query_one(ClassifierPanel).show(list(self.history.step_column("loss")),
                                                 self.accuracies,
                                                 self.last_step, confusion,
                                                 list(message.classes), self.last_sample)
            self.query_one(RunProgress).show(self.last_step)
            self.show_status()

    @property
    def chrf(self) -> float | None:
        try:
            return float(self.status["chrf"])
        except (KeyError, ValueError):
            return None  # no evaluation yet (or not a translation run)

    @property
    def state(self) -> RunState:
        state = RunState.read(self.status, self.alive)
        # Opened as the run is launched: its process has not taken the lock yet.
        return RunState.STARTING if state is RunState.NEW or not self.polled else state

    def show_status(self) -> None:
        state = self.state
        # An evaluation holds the step count still for a while: say so, or it looks frozen.
        shown = "[reverse] evaluating… [/reverse]" if state is RunState.EVALUATING \
            else f"[b]{state.words}[/b]"
        parts = [f"[b]{self.model_name}[/b]", shown]
        # What matters now comes before the run's fixed facts, which an 80-column line cuts.
        failed = state is RunState.ERROR and self.status.get("message")
        if failed:
            parts.append(escape(self.status["message"]))
        elif not state.live:
            parts.append("w: write with it · d: library")
        elif self.last_log and time.time() - self.last_log["time"] < MESSAGE_SECONDS:
            parts.append(escape(self.last_log["message"]))
        if self.status.get("total"):
            parts.append(f"budget {self.status['total']}")
        if self.status.get("device"):
            parts.append(self.status["device"])
        threads = self.status.get("threads")
        processes = self.status.get("processes", "1")
        if processes != "1":  # data-parallel: tok/s is all the processes' together
            parts.append(f"{processes} processes × {threads or '?'} "
                         f"thread{'' if threads == '1' else 's'}")
        elif threads:
            parts.append(f"{threads} thread{'' if threads == '1' else 's'}")
        # One row that ends in … when it is too long, so the panels below stay put; an error
        # sentence wraps (up to three rows) so it is read whole.
        line = self.query_one("#run-status", Static)
        line.set_class(not failed, "-one-line")
        text = " · ".join(parts)
        if text != self.shown_status:  # the clock calls often; repaint only on a change
            self.shown_status = text
            line.update(text)

    # -- commands -------------------------------------------------------------------------------

    def command(self, command: str, note: str) -> bool:
        if not self.alive:
            self.notify("The run is not going any more.", severity="warning")
            return False
        try:
            send_command(self.model_dir, command)
        except (PoetuiError, OSError) as exc:
            self.notify(str(exc), severity="error")
            return False
        self.notify(note)
        return True

    def action_pause(self) -> None:
        if self.state is RunState.PAUSED:
            self.command("resume", "Resuming…")
        else:
            self.command("pause", "Pausing…")

    def action_stop(self) -> None:
        self.command("stop", "Stopping after a checkpoint…")

    def action_checkpoint(self) -> None:
        self.command("checkpoint", "Checkpoint requested.")

    def action_sample(self) -> None:
        self.command("sample", "Sample requested; it appears below in a moment.")

    def action_desk(self) -> None:
        if self.last_step is None:
            self.notify("No weights yet; wait for the first steps.", severity="warning")
            return
        # The latest checkpoint is the current weights as far as another process can see.
        self.app.open_desk(self.model_name, self.translating, "latest", bool(self.class_names))

    def action_chart(self) -> None:
        """l: the chart in place of the sparklines, the numbers and the sample (it has its
        own readout and sample, at its cursor), and back."""
        chart = self.query_one(RunChart)
        if chart.display:
            chart.hide()
        else:
            chart.show_and_focus()
        self.query_one("#run-middle").display = not chart.display
        self.query_one(SamplePanel).display = not chart.display
        if not chart.display:
            self.show_sparklines()
            self.show_metrics()
            if self.history.samples:
                self.query_one(SamplePanel).show(vars(self.history.samples[-1]))

    def show_metrics(self) -> None:
        self.query_one(MetricsPanel).show(self.last_step, self.last_eval, self.chrf,
                                          self.translating)

    def show_sparklines(self) -> None:
        counted = self.last_step["step"] if self.history.overview and self.last_step else None
        self.query_one(LossSparklines).show(self.history.step_column("loss"),
                                            self.history.eval_column("val_loss"), counted)

    def on_run_chart_compare_requested(self, _: RunChart.CompareRequested) -> None:
        compare_runs(self, self.query_one(RunChart), self.model_name)

    def action_detach(self) -> None:
        if self.alive:
            self.notify(f"'{self.model_name}' keeps training; `poetui attach` or o in the "
                        "library brings this back.")
        self.app.watched_runs.discard(self.model_name)
        self.app.pop_screen()
