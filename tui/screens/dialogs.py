"""Small modal dialogs: confirm, ask for a line of text, show information, quit with a run,
choose a run to watch."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static
from textual.widgets.option_list import Option


class ConfirmDialog(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, question: str, yes: str = "Yes", danger: bool = True) -> None:
        super().__init__()
        # danger: the yes button is red (deleting); otherwise it is the primary action.
        self.question, self.yes, self.danger = question, yes, danger

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, classes="dialog-text")
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.yes} (y)", variant="error" if self.danger else "primary",
                             id="yes")
                yield Button("Cancel (n)", id="no")

    def on_mount(self) -> None:
        # enter must never delete by accident; a harmless yes is the one enter takes.
        self.query_one("#no" if self.danger else "#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class TextDialog(ModalScreen[str | None]):
    """One line of input; enter accepts, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="text.cancel")]

    def __init__(self, prompt: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.prompt, self.value, self.placeholder = prompt, value, placeholder

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt, classes="dialog-text")
            yield Input(self.value, placeholder=self.placeholder, id="dialog-input")
            yield Static("enter: accept · escape: cancel", classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class InfoDialog(ModalScreen[None]):
    """A titled text to read. Made once and shown again with ``show``: the first push of a
    screen lays out the screen beneath it too (Textual resizes it as a background screen), a
    second push of the same one does not, and mounts nothing."""

    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close", id="info.close")]

    def __init__(self) -> None:
        super().__init__()
        self.title_text, self.text = "", ""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Label(f"[b]{self.title_text}[/b]", classes="dialog-text", id="info-title")
            with VerticalScroll(classes="dialog-body"):
                yield Static(self.text, markup=False, id="info-text")
            yield Static("escape or q closes", classes="dialog-hint")

    def show(self, title: str, text: str) -> InfoDialog:
        self.title_text, self.text = title, text
        if self.is_mounted:
            self.query_one("#info-title", Label).update(f"[b]{title}[/b]")
            self.query_one("#info-text", Static).update(text)
            self.query_one(VerticalScroll).scroll_home(animate=False)
        return self


class QuitDialog(ModalScreen[str | None]):
    """Quitting while a run is going: leave it training, or stop it after a checkpoint."""

    BINDINGS = [
        Binding("d", "choose('detach')", "Detach", id="quit.detach"),
        Binding("s", "choose('stop')", "Stop", id="quit.stop"),
        Binding("escape", "choose(None)", "Cancel", id="quit.cancel"),
    ]

    def __init__(self, runs: list[str]) -> None:
        super().__init__()
        self.runs = runs

    def compose(self) -> ComposeResult:
        names = ", ".join(f"'{n}'" for n in self.runs)
        with Vertical(classes="dialog"):
            yield Static(
                f"Training of {names} is still going. Leave it running in the background "
                "(attach later with `poetui attach`), or stop it after a checkpoint?",
                classes="dialog-text",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Detach (d)", variant="primary", id="detach")
                yield Button("Stop (s)", variant="error", id="stop")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#detach", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)


class RunChooser(ModalScreen[str | None]):
    """`poetui attach` with several runs going: which one to watch (enter, or its number);
    escape leaves the choice to the library."""

    BINDINGS = [
        Binding("escape", "choose(None)", "Library", id="runs.cancel"),
        *(Binding(str(n), f"pick({n - 1})", str(n), show=False, id=f"runs.pick{n}")
          for n in range(1, 10)),
    ]

    def __init__(self, runs: list[tuple[str, str]]) -> None:
        """``runs``: (name, what to say of it), the newest first."""
        super().__init__()
        self.runs = runs

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(f"{len(self.runs)} runs are training. Which one do you want to "
                         "watch?", classes="dialog-text")
            yield OptionList(*(Option(f"{n}. {name} · {about}" if n < 10 else
                                      f"{name} · {about}", id=name)
                               for n, (name, about) in enumerate(self.runs, 1)),
                             id="run-choices")
            yield Static("enter or a number: watch it · escape: the library",
                         classes="dialog-hint")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_pick(self, index: int) -> None:
        if index < len(self.runs):
            self.dismiss(self.runs[index][0])

    def action_choose(self, choice: str | None) -> None:
        self.dismiss(choice)
