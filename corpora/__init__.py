"""The corpus catalog: cards describing each named corpus, and the built-in offline providers."""

from corpora.cards import CARDS, Card, find_card

__all__ = ["CARDS", "Card", "find_card"]
