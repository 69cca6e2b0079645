"""Streaming generation: one token at a time from carried recurrent state.

The prime is fed once; each new token costs one step of the recurrence. The step is written
out by hand over fused weights (one matrix product per layer over [input, state], the first
layer's input product precomputed per token) because calling ``nn.LSTM`` per token is many
times slower.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from threadpoolctl import threadpool_limits

from engine.config import SampleConfig
from engine.data.recipes import AS_IS
from engine.data.tokenizer import UNK, Vocab
from engine.nn.model import LanguageModel
from engine.nn.threads import free_cores


class Opening(Protocol):
    """What the sampler asks of a corpus kind (engine.kinds): where an item starts, and
    whether the model writes items (names, poems) or one stretch of text."""

    itemised: bool

    def start_ids(self, vocab: Vocab, prime_ids: list[int]) -> list[int]: ...

    def banned_first(self, vocab: Vocab, prime_ids: list[int]) -> list[int]: ...


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
                w_in = sd["embedding.weight"] @ w_ih.T + b_ih if i == 0 else w_ih.T
                layer = (w_in, b_ih, w_hh.T, b_hh)
            elif i == 0:
                # The first layer's input is an embedding row: its product (and both biases)
                # is a table row.
                layer = (sd["embedding.weight"] @ w_ih.T + b_ih + b_hh, w_hh.T)
            else:
                # One product over [input, state]: one pass over the weights per token.
                layer = (torch.cat([w_ih.T, w_hh.T]), b_ih + b_hh)
            self.layers.append(tuple(np.ascontiguousarray(t.numpy()) for t in layer))
        head = sd["head.weight"].T  # (H, V), or (E, V) behind a projection from H to E
        if "project.weight" in sd:
            head = sd["project.weight"].T @ head  # composed once: one product per token
        self.head_w = np.ascontiguousarray(head.numpy())
        self.head_b = sd["head.bias"].numpy().copy()

    def zero_state(self) -> list[np.ndarray]:
        n = len(self.layers) * self.states_per_layer
        return [np.zeros(self.hidden, dtype=np.float32) for _ in range(n)]

    def step(self, token: int, state: list[np.ndarray]) -> torch.Tensor:
        """Feed one token id; update ``state`` in place; return the next-token logits (V,)."""
        size = self.hidden
        x = None
        for i, layer in enumerate(self.layers):
            k = i * self.states_per_layer
            h = state[k]
            if self.cell == "gru":
                w_in, b_ih, w_hh, b_hh = layer
                gi = w_in[token] if i == 0 else x @ w_in + b_ih
                gh = h @ w_hh + b_hh
                rz = _sigmoid(gi[: 2 * size] + gh[: 2 * size])
                n = np.tanh(gi[2 * size :] + rz[:size] * gh[2 * size :])
                h = n + rz[size:] * (h - n)
            else:
                gates = layer[0][token] + h @ layer[1] if i == 0 else \
                    np.concatenate((x, h)) @ layer[0] + layer[1]
                if self.cell == "lstm":
                    ifo = _sigmoid(gates[: 3 * size])
                    g = np.tanh(gates[3 * size :])
                    c = ifo[size : 2 * size] * state[k + 1] + ifo[:size] * g
                    h = ifo[2 * size :] * np.tanh(c)
                    state[k + 1] = c
                else:
                    h = np.tanh(gates)
            state[k] = h
            x = h
        return torch.from_numpy(x @ self.head_w + self.head_b)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    # The tanh form never overflows, unlike 1 / (1 + exp(-x)).
    return 0.5 + 0.5 * np.tanh(0.5 * x)


def choose(logits: torch.Tensor, config: SampleConfig, generator: torch.Generator) -> int:
    """Pick the next token id from logits (V,) by the configured strategy."""
    if config.greedy:
        return int(torch.argmax(logits))
    logits = logits / config.temperature
    if 0 < config.top_k < logits.shape[0]:
        values, indices = torch.topk(logits, config.top_k)  # sorted high to low
    elif config.top_p < 1.0:
        values, indices = torch.sort(logits, descending=True)
    else:
        return int(torch.multinomial(torch.softmax(logits, 0), 1, generator=generator))
    probs = torch.softmax(values, 0)
    if config.top_p < 1.0:
        # Keep the smallest head of the distribution whose mass reaches p (always ≥ 1 token).
        before = torch.cumsum(probs, 0) - probs
        probs = torch.where(before < config.top_p, probs, torch.zeros_like(probs))
    return int(indices[torch.multinomial(probs, 1, generator=generator)])


class Sampler:
    """Generation from a model: items (a stretch of text, or one name or poem for a records
    model, as its corpus kind says) streamed one token at a time."""

    def __init__(self, model: LanguageModel, vocab: Vocab, kind: Opening,
                 recipe: str = AS_IS) -> None:
        self.vocab = vocab
        self.kind = kind
        self.recipe = recipe  # primes are read through the model's recipe, as its corpus was
        from engine.generate.device_stepper import DeviceStepper, uses_device_stepper

        self.stepper = DeviceStepper(model) if uses_device_stepper(model) else Stepper(model)

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

    def items(self, prime: str | Prime = "", config: SampleConfig | None = None,
              count: int = 1, constraint=None) -> Iterator[Iterator[str]]:
        """``count`` items, each yielding the text of its tokens as they are produced (the prime
        is not repeated). One random generator serves the whole list, so successive items
        differ and one seed reproduces all of them. Consume each item before the next.
        ``constraint`` (engine.generate.forms) names the tokens allowed next, given what is written;
        everything else is masked, so a form or an acrostic holds by construction."""
        config = config or SampleConfig()
        prime = self.prime(prime) if isinstance(prime, str) else prime
        generator = torch.Generator()
        generator.manual_seed(config.seed if config.seed is not None else torch.seed() % 2**63)
        # One look at the machine for the whole list: it takes 50 ms, once, not per item.
        blas_threads = free_cores()
        for _ in range(count):
            yield self._item(prime, config, generator, constraint, blas_threads)

    def stream(self, prime: str | Prime = "", config: SampleConfig | None = None) -> Iterator[str]:
        """One item, streamed."""
        return next(self.items(prime, config, 1))

    def text(self, prime: str | Prime = "", config: SampleConfig | None = None) -> str:
        return "".join(self.stream(prime, config))

    def _item(self, prime: Prime, config: SampleConfig, generator: torch.Generator,
              constraint, blas_threads: int) -> Iterator[str]:
        eos = self.vocab.eos_id
        # Specials are structure, not text, and are not shown; <unk> is: a rare word was there.
        specials = {self.vocab.id_of(s) for s in self.vocab.specials if s != UNK}
        previous = self.vocab.tokens[prime.ids[-1]] if prime.ids else None
        output = ""
        # numpy's BLAS takes the cores other work leaves free: alone it uses them all; beside a
        # training run, one thread, so the two never fight over a core.
        with torch.inference_mode(), threadpool_limits(limits=blas_threads, user_api="blas"):
            state = self.stepper.zero_state()
            logits = None
            for token in self.kind.start_ids(self.vocab, prime.ids):
                logits = self.stepper.step(token, state)
            assert logits is not None
            banned = self.kind.banned_first(self.vocab, prime.ids)
            if banned and len(banned) < len(logits):
                logits[banned] = float("-inf")
            for _ in range(config.length):
                allowed = constraint.allowed(prime.text + output) if constraint else None
                if allowed is not None:  # in numpy: 20× quicker than torch's indexing here
                    scores = logits.numpy()
                    masked = np.full_like(scores, -np.inf)
                    masked[allowed] = scores[allowed]
                    logits = torch.from_numpy(masked)
                token = choose(logits, config, generator)
                if token == eos:
                    return
                if token not in specials:
                    piece = self.vocab.render(token, previous)
                    previous = self.vocab.tokens[token]
                    output += piece
                    yield piece
                    if config.stop and config.stop in output[-(len(piece) + len(config.stop)) :]:
                        return
                logits = self.stepper.step(token, state)
