"""One card per named corpus. Built-in cards carry a provider; the others a download source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from corpora import builtin


@dataclass(frozen=True)
class Card:
    name: str
    title: str
    kind: str  # stream | records | pairs
    level: str  # the tokenisation that suits it: char | word
    preset: str
    licence: str
    prompts: tuple[str, ...] = ()
    provider: Callable[[], str] | None = None  # built-in: returns the text, no network
    url: str | None = None
    sha256: str | None = None
    notes: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def builtin(self) -> bool:
        return self.provider is not None


CARDS: tuple[Card, ...] = (
    Card(
        name="python-docs",
        title="The Python language reference (English prose shipped with CPython)",
        kind="stream",
        level="char",
        preset="char",
        licence="PSF License",
        prompts=("The ", "A class ", "When an exception "),
        provider=builtin.python_docs,
    ),
    Card(
        name="python-source",
        title="The Python standard library's own source code",
        kind="stream",
        level="char",
        preset="char",
        licence="PSF License",
        prompts=("def ", "class ", "import "),
        provider=builtin.python_source,
    ),
)


def find_card(name: str) -> Card | None:
    return next((card for card in CARDS if card.name == name), None)
