"""Streaming generation: one token at a time from carried recurrent state.

The prime is fed once; each new token costs one step of the recurrence. The step is written
out by hand over fused weights (one matrix product per layer over [input, state], the first
layer's input product precomputed per token) because calling ``nn.LSTM`` per token is many
times slower.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from engine.config import SampleConfig
from engine.data.recipes import AS_IS
from engine.data.tokenizer import Vocab
from engine.generate.batch_products import BatchProducts
from engine.nn.model import LanguageModel
from engine.nn.threads import free_cores, on_model_thread, torch_threads


class Opening(Protocol):
    """What the sampler asks of a corpus kind (engine.kinds): where an item starts, and
    whether the model writes items (names, poems) or one stretch of text."""

    itemised: bool

    def start_ids(self, vocab: Vocab, prime_ids: list[int]) -> list[int]: ...

    def banned_first(self, vocab: Vocab, prime_ids: list[int]) -> list[int]: ...


class Constraint(Protocol):
    """What the sampler asks of a decoding constraint (engine.generate.forms): the token ids
    allowed next, given the text written so far (None: any), and a list it fills with the
    share of the model's probability each mask removed in the item being written."""

    pruned: list[float]

    def allowed(self, written: str) -> np.ndarray | list[int] | None: ...


@dataclass
class Prime:
    ids: list[int]
    notice: str | None  # what happened to unknown pieces, in one sentence
    text: str = ""  # as given: a constraint reads it as the start of what is written


class Stepper:
    """One recurrence step over carried state, on weights copied from a LanguageModel.

    The step runs in numpy: one token's work is a few matrix-vector products and a dozen small
    element-wise operations, and numpy dispatches those several times faster than PyTorch does.
    """

    def __init__(self, model: LanguageModel) -> None:
        cfg = model.config
        self.cell, self.hidden = cfg.cell, cfg.hidden
        self.states_per_layer = 2 if cfg.cell == "lstm" else 1
        sd = {k: v.detach().to("cpu", torch.float32) for k, v in model.state_dict().items()}
        with torch.no_grad():  # a model with verse features adds theirs to both tables
            sd["embedding.weight"] = model.input_table().detach().to("cpu", torch.float32)
            sd["head.weight"] = model.head_weight().detach().to("cpu", torch.float32)
        h = cfg.hidden
        self.layers: list[tuple[np.ndarray, ...]] = []
        for i in range(cfg.layers):
            w_ih, w_hh = sd[f"rnn.weight_ih_l{i}"], sd[f"rnn.weight_hh_l{i}"]
            b_ih, b_hh = sd[f"rnn.bias_ih_l{i}"], sd[f"rnn.bias_hh_l{i}"]
            if cfg.cell == "lstm":
                # Gates reordered i,f,g,o → i,f,o,g: one sigmoid over the first three, one tanh.
                order = torch.cat([torch.arange(0, 2 * h), torch.arange(3 * h, 4 * h),
                                   torch.arange(2 * h, 3 * h)])
                w_ih, w_hh, b_ih, b_hh = w_ih[order], w_hh[order], b_ih[order], b_hh[order]
            if cfg.cell == "gru":
                # GRU keeps its two products apart: the state's candidate part is gated by r.
                w_in = _times(sd["embedding.weight"], w_ih.T) + b_ih if i == 0 else w_ih.T
                layer = (w_in, b_ih, w_hh.T, b_hh)
            elif i == 0:
                # The first layer's input is an embedding row: its product (and both biases)
                # is a table row.
                layer = (_times(sd["embedding.weight"], w_ih.T) + b_ih + b_hh, w_hh.T)
            else:
                # One product over [input, state]: one pass over the weights per token.
                layer = (torch.cat([w_ih.T, w_hh.T]), b_ih + b_hh)
            self.layers.append(tuple(np.ascontiguousarray(t.numpy()) for t in layer))
        head = sd["head.weight"].T  # (H, V), or (E, V) behind a projection from H to E
        if "project.weight" in sd:
            head = _times(sd["project.weight"].T, head)  # composed once: one product a token
        self.head_w = np.ascontiguousarray(head.numpy())
        self.head_b = sd["head.bias"].numpy().copy()
        self.products = BatchProducts()
        self.context = None
        if cfg.verse_context:
            # The context's share of the first layer's input product, and of the logits: two
            # small products per token. Its tracker's state rides at the end of the state.
            self.context = model.verse_context()
            w_ih = sd["rnn.weight_ih_l0"]
            if cfg.cell == "lstm":
                w_ih = w_ih[order]
            self.context_gates = np.ascontiguousarray(
                _times(sd["context_in.weight"].T, w_ih.T).numpy())
            self.context_head = np.ascontiguousarray(
                (sd["verse"] * sd["context_out"]).T.numpy())

    def zero_state(self) -> list[np.ndarray]:
        n = len(self.layers) * self.states_per_layer
        state = [np.zeros(self.hidden, dtype=np.float32) for _ in range(n)]
        return state + [self.context.begin()] if self.context is not None else state

    # Copies of a state: a fork, N streams from one, one stream out of N.
    def copy(self, state: list[np.ndarray]) -> list[np.ndarray]:
        return [s.copy() for s in state]

    def repeat(self, state: list[np.ndarray], n: int) -> list[np.ndarray]:
        return [np.repeat(s[None], n, axis=0) for s in state]

    def row(self, state: list[np.ndarray], i: int) -> list[np.ndarray]:
        return [s[i].copy() for s in state]

    def step(self, token: int, state: list[np.ndarray]) -> torch.Tensor:
        """Feed one token id; update ``state`` in place; return the next-token logits (V,)."""
        return torch.from_numpy(self.advance(token, state))

    def advance(self, token, state: list[np.ndarray]) -> np.ndarray:
        """One step for one stream (``token`` an int, states (H,)) or for N at once (``token``
        an array of N ids, states (N, H)): every weight matrix is read once per step however
        many streams share it. ``state`` is updated in place; the logits are (V,) or (N, V)."""
        size = self.hidden
        mm = self.products  # x @ w (+ b): numpy for one stream, a batch kernel for N
        x = None
        context = None if self.context is None else self.context.advance(state[-1], token)
        for i, layer in enumerate(self.layers):
            k = i * self.states_per_layer
            h = state[k]
            if self.cell == "gru":
                w_in, b_ih, w_hh, b_hh = layer
                gi = w_in[token] if i == 0 else mm(x, w_in, b_ih)
                if i == 0 and context is not None:
                    gi = gi + context @ self.context_gates
                gh = mm(h, w_hh, b_hh)
                rz = _sigmoid(gi[..., : 2 * size] + gh[..., : 2 * size])
                n = np.tanh(gi[..., 2 * size :] + rz[..., :size] * gh[..., 2 * size :])
                h = n + rz[..., size:] * (h - n)
            else:
                gates = layer[0][token] + mm(h, layer[1]) if i == 0 else \
                    mm(np.concatenate((x, h), axis=-1), layer[0], layer[1])
                if i == 0 and context is not None:
                    gates = gates + context @ self.context_gates
                if self.cell == "lstm":
                    ifo = _sigmoid(gates[..., : 3 * size])
                    g = np.tanh(gates[..., 3 * size :])
                    c = ifo[..., size : 2 * size] * state[k + 1] + ifo[..., :size] * g
                    h = ifo[..., 2 * size :] * np.tanh(c)
                    state[k + 1] = c
                else:
                    h = np.tanh(gates)
            state[k] = h
            x = h
        logits = mm(x, self.head_w, self.head_b)
        if context is not None:
            logits += context[..., : self.context_head.shape[0]] @ self.context_head
        return logits


def _times(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` by numpy's BLAS: a word model's input table is a large product (PTB large:
    10,000 × 1,500 × 6,000), and PyTorch is kept to one thread while the stepper is made."""
    return torch.from_numpy(a.numpy() @ b.numpy())


def _removed(scores: np.ndarray, allowed) -> float:
    """The share of the model's probability (at temperature 1) a mask keeping only the
    ``allowed`` token ids took away."""
    top = scores.max()
    whole = np.exp(scores - top).sum()
    kept = np.exp(scores[allowed] - top).sum()
    return float(1.0 - kept / whole)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # The tanh form never overflows, unlike 1 / (1 + exp(-x)). In place after the first
    # product: one array, not three, per call.
    y = np.multiply(x, 0.5)
    np.tanh(y, out=y)
    y *= 0.5
    y += 0.5
    return y


def distribution(logits: np.ndarray, config: SampleConfig) -> np.ndarray:
    """The probabilities the next token is drawn from, (V,) or one row per stream (N, V):
    the softmax at the temperature, cut to the top k or the nucleus and renormalised. Greedy
    decoding takes the most likely token of the model's own distribution (temperature 1).
    Masked tokens (logit -inf) get 0."""
    z = np.asarray(logits, dtype=np.float64)
    if not config.greedy:
        z = z / config.temperature
    z = z - z.max(axis=-1, keepdims=True)
    probs = np.exp(z)
    if not config.greedy and 0 < config.top_k < probs.shape[-1]:
        # Everything below the k largest is zeroed (exactly k kept, ties or not).
        drop = np.argpartition(-probs, config.top_k, axis=-1)[..., config.top_k :]
        np.put_along_axis(probs, drop, 0.0, axis=-1)
    elif not config.greedy and config.top_p < 1.0:
        # Keep the smallest head of the distribution whose mass reaches p (always ≥ 1 token).
        probs = probs / probs.sum(axis=-1, keepdims=True)
        order = np.argsort(-probs, axis=-1, kind="stable")
        ranked = np.take_along_axis(probs, order, axis=-1)
        before = np.cumsum(ranked, axis=-1) - ranked
        np.put_along_axis(probs, order, np.where(before < config.top_p, ranked, 0.0), axis=-1)
    return probs / probs.sum(axis=-1, keepdims=True)


def choose(logits, config: SampleConfig, generator: torch.Generator):
    """Pick the next token id from logits (V,) by the configured strategy; from (N, V), one id
    per row (an array)."""
    return pick(distribution(np.asarray(logits), config), config, generator)


def pick(probs: np.ndarray, config: SampleConfig, generator: torch.Generator):
    """A token id drawn from ``probs`` (V,) (the likeliest when greedy), or one per row of
    (N, V)."""
    if config.greedy:
        picked = np.argmax(probs, axis=-1)
    else:
        picked = torch.multinomial(torch.from_numpy(probs), 1, generator=generator).numpy()[..., 0]
    return int(picked) if probs.ndim == 1 else picked


def _top(probs: np.ndarray, k: int) -> np.ndarray:
    """The ids of the k largest of ``probs`` (V,), largest first."""
    k = min(k, len(probs))
    head = np.argpartition(-probs, k - 1)[:k] if k < len(probs) else np.arange(len(probs))
    return head[np.argsort(-probs[head], kind="stable")]


class Choice(NamedTuple):
    """One token the model could write next, and how likely. (A named tuple: a batch of
    branches makes ten of them per token, and a frozen dataclass is several times slower to
    make.)"""

    id: int
    token: str  # as the vocabulary holds it (no spacing)
    probability: float


class Written(NamedTuple):
    """One token written, with what could have stood there. (A named tuple, as ``Choice``:
    a batch of 8 branches makes 8 a step.)"""

    id: int
    token: str  # as the vocabulary holds it
    piece: str  # as text, with the spacing a word needs ("" for a special token)
    probability: float  # in the distribution it was drawn from (sampling settings applied)
    surprisal: float  # bits: -log2 of the model's own probability of it (temperature 1)
    alternatives: tuple[Choice, ...] = ()  # the most likely in that distribution, best first


class Position:
    """Where a writing stands: the recurrent state after the tokens fed so far and the
    model's logits for the next one. Feeding a token is one step of the model; ``copy`` forks
    the state (a branch, an undo), so nothing is ever re-run from the start."""

    def __init__(self, sampler: Sampler, state: list[np.ndarray], logits: np.ndarray,
                 previous: str | None) -> None:
        self.sampler = sampler
        self.state = state
        self.logits = logits  # (V,) raw next-token logits, -inf where the kind bans a token
        self.previous = previous  # the last token that is text: how the next one is spaced
        self.steps = 0  # model steps taken since this position was made or copied

    def copy(self) -> Position:
        return Position(self.sampler, self.sampler.stepper.copy(self.state),
                        self.logits.copy(), self.previous)

    def feed(self, token: int) -> None:
        """One model step: the state after ``token``, and the logits that follow it."""
        vocab = self.sampler.vocab
        self.logits = self.sampler.stepper.advance(token, self.state)
        if vocab.tokens[token] not in vocab.specials:
            self.previous = vocab.tokens[token]
        self.steps += 1

    def render(self, token: int) -> str:
        return self.sampler.vocab.render(token, self.previous)

    def masked(self, config: SampleConfig, allowed=None) -> np.ndarray:
        """The logits with what may not be written masked: <unk> (unless the settings allow
        it: it stands for a rare word, and a model that may write it loops on it) and, when
        ``allowed`` names the only tokens a form permits, everything else."""
        return _masked(self.logits, self.sampler.vocab, config, allowed)

    def probabilities(self, config: SampleConfig | None = None, allowed=None) -> np.ndarray:
        """(V,) the distribution the next token would be drawn from."""
        config = config or SampleConfig(greedy=True)
        return distribution(self.masked(config, allowed), config)

    def top(self, k: int, config: SampleConfig | None = None, allowed=None) -> list[Choice]:
        """The ``k`` most likely next tokens, best first."""
        probs = self.probabilities(config, allowed)
        tokens = self.sampler.vocab.tokens
        return [Choice(int(i), tokens[i], float(probs[i])) for i in _top(probs, k)
                if probs[i] > 0]

    def written(self, token: int, config: SampleConfig, alternatives: int = 0,
                allowed=None) -> Written:
        """What writing ``token`` here means (before it is fed): its probability under
        ``config``, its surprisal under the model, the alternatives."""
        return _written(self.sampler.vocab, self.logits, self.masked(config, allowed), token,
                        self.render(token), config, alternatives)

    def draw(self, config: SampleConfig, generator: torch.Generator, alternatives: int = 0,
             allowed=None) -> Written:
        """Choose the next token by ``config`` (not yet fed)."""
        probs = distribution(self.masked(config, allowed), config)
        token = pick(probs, config, generator)
        return _described(self.sampler.vocab, self.logits[None], probs[None], np.array([token]),
                          [self.render(token)], alternatives)[0]

    def feed_text(self, text: str) -> list[int]:
        """Feed ``text`` token by token (a prime, or what a writer typed); the ids fed."""
        ids = self.sampler.vocab.encode(text) if text else []
        for token in ids:
            self.feed(token)
        return ids


def _masked(logits: np.ndarray, vocab: Vocab, config: SampleConfig, allowed=None) -> np.ndarray:
    masked = logits.copy()
    unk = vocab.unk_id
    if unk is not None and not config.allow_unk:
        masked[..., unk] = -np.inf
    if allowed is not None:  # in numpy: 20× quicker than torch's indexing here
        only = np.full_like(masked, -np.inf)
        only[..., allowed] = masked[..., allowed]
        masked = only
    return masked


def _written(vocab: Vocab, logits: np.ndarray, masked: np.ndarray, token: int, piece: str,
             config: SampleConfig, alternatives: int) -> Written:
    return _described(vocab, logits[None], distribution(masked, config)[None],
                      np.array([token]), [piece], alternatives)[0]


def _described(vocab: Vocab, logits: np.ndarray, probs: np.ndarray, tokens: np.ndarray,
               pieces: list[str], alternatives: int) -> list[Written]:
    """What each of N rows wrote (``tokens``, drawn from ``probs`` (N, V)), all rows at once:
    its probability, its surprisal under the model (``logits`` (N, V) as they are, nothing
    masked, temperature 1) and its row's ``alternatives`` likeliest."""
    rows = np.arange(len(tokens))
    z = logits.astype(np.float64)
    top = z.max(axis=-1)
    log_total = np.log(np.exp(z - top[:, None]).sum(axis=-1)) + top
    surprisal = (log_total - z[rows, tokens]) / math.log(2)
    chosen = probs[rows, tokens]
    if alternatives:
        k = min(alternatives, probs.shape[-1])
        best = np.argpartition(-probs, k - 1, axis=-1)[:, :k] if k < probs.shape[-1] else \
            np.tile(np.arange(k), (len(tokens), 1))
        order = np.argsort(-np.take_along_axis(probs, best, axis=-1), axis=-1, kind="stable")
        best = np.take_along_axis(best, order, axis=-1)
        best_p = np.take_along_axis(probs, best, axis=-1)
        kept = (best_p > 0).sum(axis=-1).tolist()  # best first: the zeros (cut off) trail
        best, best_p = best.tolist(), best_p.tolist()
    out = []
    names = vocab.tokens
    make = Choice._make  # a branch of 8 rows makes 80 a step: the quickest way to build them
    for row, token in enumerate(tokens.tolist()):
        if alternatives:
            ids, ps = best[row][: kept[row]], best_p[row][: kept[row]]
            alts = tuple(map(make, zip(ids, map(names.__getitem__, ids), ps, strict=True)))
        else:
            alts = ()
        out.append(Written(token, names[token], pieces[row], float(chosen[row]),
                           float(surprisal[row]), alts))
    return out


class Sampler:
    """Generation from a model: items (a stretch of text, or one name or poem for a records
    model, as its corpus kind says) streamed one token at a time."""

    def __init__(self, model: LanguageModel, vocab: Vocab, kind: Opening,
                 recipe: str = AS_IS) -> None:
        self.vocab = vocab
        self.kind = kind
        self.recipe = recipe  # primes are read through the model's recipe, as its corpus was
        from engine.generate.device_stepper import DeviceStepper, uses_device_stepper

        # One thread: the copies and small products that set up the stepper would otherwise
        # leave an OpenMP pool on this thread, which slows the model thread's (see
        # engine.nn.threads.on_model_thread).
        with torch_threads(1):
            self.stepper = DeviceStepper(model) if uses_device_stepper(model) \
                else Stepper(model)
        self.cores: int | None = None  # for batches: what ``share_cores`` found
        self._here = threading.local()  # … or, inside ``threads``, what it found

    def prime(self, text: str) -> Prime:
        """Encode a prime; name what the model cannot read instead of failing on it."""
        from engine.data.recipes import for_prime

        text = for_prime(self.recipe, text)
        unknown = self.vocab.unknown(text) if text else []
        ids = self.vocab.encode(text) if text else []
        notice = None
        if unknown:
            shown = ", ".join(repr(u) for u in unknown[:8]) + (" …" if len(unknown) > 8 else "")
            if self.vocab.level == "word":
                notice = f"The model has never seen {shown}; read as <unk>."
            else:
                notice = f"The model has never seen the characters {shown}; they were left out."
        return Prime(ids, notice, text)

    def begin(self, prime: str | Prime = "") -> Position:
        """The position after the prime (where an item starts, for a records model): the first
        token may be chosen from it."""
        prime = self.prime(prime) if isinstance(prime, str) else prime
        state = self.stepper.zero_state()
        logits = None
        for token in self.kind.start_ids(self.vocab, prime.ids):
            logits = self.stepper.advance(token, state)
        assert logits is not None
        banned = self.kind.banned_first(self.vocab, prime.ids)
        if banned and len(banned) < len(logits):
            logits[banned] = -np.inf
        previous = None
        for token in reversed(prime.ids):
            if self.vocab.tokens[token] not in self.vocab.specials:
                previous = self.vocab.tokens[token]
                break
        return Position(self, state, logits, previous)

    def share_cores(self) -> None:
        """Size numpy's BLAS pool for the rest of this process to the cores other work leaves
        free now, and the batch products' threads (``branches``) to the same: for a session
        that steps the model a token at a time as someone writes, where setting the limit
        around each step would cost more than the step (1.5 ms against 1), and an unlimited
        pool beside other work costs 25 ms a product."""
        self.cores = free_cores()
        threadpool_limits(limits=self.cores, user_api="blas")

    @contextmanager
    def threads(self, limit: int | None = None) -> Iterator[None]:
        """numpy's BLAS, and the batch products' threads (``branches``), on the cores other
        work leaves free: alone it uses them all; beside a training run, one thread, so the
        two never fight over a core. The look at the machine takes 50 ms: once per generation (or
        writing session), never per token."""
        cores = limit or free_cores()
        # Per calling thread: two generations may overlap, each in its own thread.
        before = getattr(self._here, "cores", None)
        self._here.cores = cores
        try:
            with threadpool_limits(limits=cores, user_api="blas"):
                yield
        finally:
            self._here.cores = before

    def items(self, prime: str | Prime = "", config: SampleConfig | None = None,
              count: int = 1, constraint: Constraint | None = None
              ) -> Iterator[Iterator[str]]:
        """``count`` items, each yielding the text of its tokens as they are produced (the prime
        is not repeated). One random generator serves the whole list, so successive items
        differ and one seed reproduces all of them. Consume each item before the next.
        ``constraint`` (engine.generate.forms) names the tokens allowed next, given what is written;
        everything else is masked, so a form or an acrostic holds by construction."""
        for item in self.written(prime, config, count, constraint):
            yield (w.piece for w in item if w.piece)

    def written(self, prime: str | Prime = "", config: SampleConfig | None = None,
                count: int = 1, constraint: Constraint | None = None, alternatives: int = 0
                ) -> Iterator[Iterator[Written]]:
        """As ``items``, each token as a ``Written`` (with ``alternatives`` of them)."""
        config = config or SampleConfig()
        prime = self.prime(prime) if isinstance(prime, str) else prime
        generator = seeded(config)
        blas_threads = free_cores()
        for _ in range(count):
            yield self._item(prime, config, generator, constraint, blas_threads, alternatives)

    def stream(self, prime: str | Prime = "", config: SampleConfig | None = None) -> Iterator[str]:
        """One item, streamed."""
        return next(self.items(prime, config, 1))

    def text(self, prime: str | Prime = "", config: SampleConfig | None = None) -> str:
        return "".join(self.stream(prime, config))

    def _item(self, prime: Prime, config: SampleConfig, generator: torch.Generator,
              constraint: Constraint | None, blas_threads: int, alternatives: int
              ) -> Iterator[Written]:
        eos = self.vocab.eos_id
        output = ""
        with torch.inference_mode(), self.threads(blas_threads):
            position = self.begin(prime)
            if constraint is not None:
                constraint.pruned = []
            for _ in range(config.length):
                allowed = constraint.allowed(prime.text + output) if constraint else None
                if allowed is not None:
                    constraint.pruned.append(_removed(position.logits, allowed))
                written = position.draw(config, generator, alternatives, allowed)
                if written.id == eos:
                    return
                output += written.piece
                yield written
                if written.piece and config.stop and \
                        config.stop in output[-(len(written.piece) + len(config.stop)) :]:
                    return
                position.feed(written.id)

    def branches(self, position: Position, count: int, config: SampleConfig,
                 generator: torch.Generator, alternatives: int = 0, first=None
                 ) -> list[tuple[list[Written], Position]]:
        """``count`` continuations of ``position`` written side by side in one pass: each step
        feeds all of them through the model together (one read of the weights for all). Each
        comes back with the position at its end, to continue from. An item ends at <eos>.
        ``first`` names the only tokens the first may be (None: any)."""
        cores = getattr(self._here, "cores", None) or self.cores or torch.get_num_threads()

        def write() -> list[tuple[list[Written], Position]]:
            with torch_threads(cores):
                return self._branches(position, count, config, generator, alternatives, first)

        return on_model_thread(write)

    def _branches(self, position: Position, count: int, config: SampleConfig,
                  generator: torch.Generator, alternatives: int, first
                  ) -> list[tuple[list[Written], Position]]:
        eos = self.vocab.eos_id
        states = self.stepper.repeat(position.state, count)
        logits = np.repeat(position.logits[None], count, axis=0)
        previous = [position.previous] * count
        out: list[list[Written]] = [[] for _ in range(count)]
        ended = [False] * count
        for step in range(config.length):
            masked = _masked(logits, self.vocab, config, first if step == 0 else None)
            probs = distribution(masked, config)
            ids = pick(probs, config, generator)
            pieces = [""] * count
            for row in range(count):
                token = int(ids[row])
                ended[row] = ended[row] or token == eos
                if not ended[row]:
                    pieces[row] = self.vocab.render(token, previous[row])
                    if self.vocab.tokens[token] not in self.vocab.specials:
                        previous[row] = self.vocab.tokens[token]
            # All rows described at once: one pass over the (N, V) arrays, not N.
            for row, w in enumerate(_described(self.vocab, logits, probs, ids, pieces,
                                               alternatives)):
                if not ended[row]:
                    out[row].append(w)
            if all(ended):
                break
            # Ended rows are stepped too (on their last token): cheaper than reshaping.
            logits = self.stepper.advance(ids, states)
        ends = []
        for row in range(count):
            end = Position(self, self.stepper.row(states, row), logits[row].copy(),
                           previous[row])
            ends.append((out[row], end))
        return ends


def seeded(config: SampleConfig) -> torch.Generator:
    """A random generator from the settings' seed (a fresh one when there is none)."""
    generator = torch.Generator()
    generator.manual_seed(config.seed if config.seed is not None else torch.seed() % 2**63)
    return generator
