"""A tree of continuations (after socketteer's loom): the prompt at the root, each node a run
of tokens that continues its parent, siblings the other ways the text could have gone.

Plain data, no model: the desk grows it with ``Sampler.branches`` and keeps the model's state
at the nodes it has visited; it is saved as JSON (``to_json``) with the model
(``engine.storage.sessions``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import PoetuiError


@dataclass
class Token:
    """One token of a node as the screen shows it."""

    id: int
    piece: str  # as text, with its spacing
    surprisal: float | None = None  # bits under the model (None: typed, not written)
    probability: float | None = None  # in the distribution it was drawn from
    # (id, token, probability) of the likeliest at this place, best first
    alternatives: list[tuple[int, str, float]] = field(default_factory=list)

    @classmethod
    def written(cls, w) -> Token:
        """From an ``engine.generate.sampler.Written``."""
        return cls(w.id, w.piece, w.surprisal, w.probability,
                   [(a.id, a.token, a.probability) for a in w.alternatives])


@dataclass
class Node:
    id: int
    parent: int | None
    tokens: list[Token]
    name: str = ""
    kept: bool = False  # marked by the writer as worth keeping

    @property
    def text(self) -> str:
        return "".join(t.piece for t in self.tokens)


class Loom:
    def __init__(self, prompt: str = "") -> None:
        self.prompt = prompt
        self.nodes: dict[int, Node] = {0: Node(0, None, [], name="prompt")}
        self.current = 0  # the node the writer stands on
        self._next = 1

    # -- shape --------------------------------------------------------------------------------

    def children(self, node: int) -> list[Node]:
        return [n for n in self.nodes.values() if n.parent == node]

    def siblings(self, node: int) -> list[Node]:
        parent = self.nodes[node].parent
        return [self.nodes[0]] if parent is None else self.children(parent)

    def path(self, node: int | None = None) -> list[Node]:
        """The nodes from the root to ``node`` (the current one by default)."""
        node = self.current if node is None else node
        out = []
        while node is not None:
            out.append(self.nodes[node])
            node = self.nodes[node].parent
        return out[::-1]

    def text(self, node: int | None = None) -> str:
        """The prompt and every node's text down to ``node``: what the path reads as."""
        return self.prompt + "".join(n.text for n in self.path(node))

    def tokens(self, node: int | None = None) -> list[tuple[int, int, Token]]:
        """(node, index in it, token) of every token on the path."""
        return [(n.id, i, t) for n in self.path(node) for i, t in enumerate(n.tokens)]

    # -- growing and pruning -------------------------------------------------------------------

    def add(self, parent: int, tokens: list[Token], name: str = "") -> Node:
        if parent not in self.nodes:
            raise PoetuiError(f"There is no branch {parent} to continue.")
        node = Node(self._next, parent, tokens, name)
        self.nodes[node.id] = node
        self._next += 1
        return node

    def split(self, node: int, at: int) -> int:
        """Cut ``node`` before its token ``at``: the tokens before stay in it, the rest (and
        its children) become its one child. Returns the node that now ends just before ``at``
        (where a new branch at that token hangs)."""
        n = self.nodes[node]
        if at <= 0:
            return n.parent if n.parent is not None else 0
        if at >= len(n.tokens):
            return node
        tail = Node(self._next, node, n.tokens[at:], n.name, n.kept)
        self._next += 1
        for child in self.children(node):
            child.parent = tail.id
        n.tokens = n.tokens[:at]
        self.nodes[tail.id] = tail
        if self.current == node:
            self.current = tail.id
        return node

    def delete(self, node: int) -> int:
        """Delete ``node`` and everything below it; returns where the writer stands now
        (a sibling, or the parent)."""
        if node == 0:
            raise PoetuiError("The prompt is the root of the tree; it cannot be deleted.")
        parent = self.nodes[node].parent
        doomed = [node]
        while doomed:
            n = doomed.pop()
            doomed.extend(c.id for c in self.children(n))
            del self.nodes[n]
        rest = self.children(parent)
        self.current = rest[0].id if rest else parent
        return self.current

    # -- on disk ------------------------------------------------------------------------------

    def to_json(self) -> dict:
        return {"version": 1, "prompt": self.prompt, "current": self.current, "nodes": [
            {"id": n.id, "parent": n.parent, "name": n.name, "kept": n.kept,
             "tokens": [[t.id, t.piece, t.surprisal, t.probability, t.alternatives]
                        for t in n.tokens]}
            for n in self.nodes.values()]}

    @classmethod
    def from_json(cls, data: object, vocab_size: int) -> Loom:
        """A tree read back; a sentence if it is not one this model could have made."""
        try:
            loom = cls(str(data["prompt"]))
            loom.nodes = {}
            for n in data["nodes"]:
                tokens = [Token(int(i), str(p), None if s is None else float(s),
                                None if q is None else float(q),
                                [(int(a), str(b), float(c)) for a, b, c in alts])
                          for i, p, s, q, alts in n["tokens"]]
                if any(not 0 <= t.id < vocab_size for t in tokens):
                    raise ValueError("a token outside the vocabulary")
                parent = None if n["parent"] is None else int(n["parent"])
                loom.nodes[int(n["id"])] = Node(int(n["id"]), parent, tokens, str(n["name"]),
                                                bool(n["kept"]))
            if 0 not in loom.nodes or any(n.parent not in loom.nodes for n in
                                          loom.nodes.values() if n.id != 0):
                raise ValueError("a branch without its parent")
            loom.current = int(data["current"]) if int(data["current"]) in loom.nodes else 0
            loom._next = max(loom.nodes) + 1
        except (KeyError, TypeError, ValueError) as exc:
            raise PoetuiError(f"The saved tree is damaged ({exc}); it was left as it is and a "
                              "new one started.") from None
        return loom
