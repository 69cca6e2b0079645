"""Translating with an encoder–decoder: greedy (streamed, or many sentences at once) and beam
search with length normalisation, plus chrF, BLEU and exact match (sacrebleu: the standard, so
figures compare with published ones)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch

from engine.data.tokenizer import Vocab
from engine.nn.seq2seq import Seq2Seq

MAX_LENGTH = 200  # characters a translation may run to at most


@dataclass
class Source:
    ids: list[int]
    notice: str | None  # the characters the model never saw, named once; they are dropped


class Translator:
    def __init__(self, model: Seq2Seq, vocab: Vocab) -> None:
        self.model, self.vocab = model.eval(), vocab
        self.device = next(model.parameters()).device

    def source(self, text: str) -> Source:
        unknown = self.vocab.unknown(text)
        notice = None
        if unknown:
            shown = ", ".join(repr(u) for u in unknown[:8])
            notice = f"The model has never seen the characters {shown}; they were left out."
        return Source(self.vocab.encode(text), notice)

    def _encode(self, sources: list[list[int]]):
        width = max(max(len(s) for s in sources), 1)
        src = torch.full((len(sources), width), self.vocab.pad_id, dtype=torch.long)
        for i, s in enumerate(sources):
            src[i, : len(s)] = torch.tensor(s, dtype=torch.long)
        lengths = torch.tensor([max(len(s), 1) for s in sources])
        return self.model.encode(src.to(self.device), lengths.to(self.device))

    def _render(self, ids: list[int]) -> str:
        return self.vocab.decode(ids)

    # -- greedy ------------------------------------------------------------------------------

    def stream(self, source: Source | str, max_length: int = MAX_LENGTH) -> Iterator[str]:
        """The greedy translation, one character at a time as it is decoded."""
        source = self.source(source) if isinstance(source, str) else source
        with torch.inference_mode():
            memory, mask, state = self._encode([source.ids])
            token = torch.tensor([[self.vocab.bos_id]], device=self.device)
            for _ in range(max_length):
                logits, state = self.model.decode(token, state, memory, mask)
                next_id = int(logits[0, -1].argmax())
                if next_id == self.vocab.eos_id:
                    return
                yield self.vocab.render(next_id, None)
                token = torch.tensor([[next_id]], device=self.device)

    def greedy(self, sources: list[list[int]], max_length: int = MAX_LENGTH,
               batch: int = 256) -> list[str]:
        """Greedy translations of many sources, decoded side by side (for evaluation)."""
        out: list[str] = []
        with torch.inference_mode():
            for start in range(0, len(sources), batch):
                chunk = sources[start : start + batch]
                memory, mask, state = self._encode(chunk)
                token = torch.full((len(chunk), 1), self.vocab.bos_id, device=self.device)
                ids = np.zeros((len(chunk), max_length), dtype=np.int64)
                done = torch.zeros(len(chunk), dtype=torch.bool, device=self.device)
                steps = 0
                for t in range(max_length):
                    logits, state = self.model.decode(token, state, memory, mask)
                    token = logits[:, -1].argmax(-1, keepdim=True)
                    ids[:, t] = token[:, 0].cpu().numpy()
                    steps = t + 1
                    done |= token[:, 0] == self.vocab.eos_id
                    if bool(done.all()):
                        break
                for row in ids[:, :steps]:
                    ends = np.flatnonzero(row == self.vocab.eos_id)
                    out.append(self._render(row[: ends[0] if len(ends) else steps].tolist()))
        return out

    # -- beam search -------------------------------------------------------------------------

    def score(self, source: list[int], target: list[int], alpha: float = 1.0) -> float:
        """Length-normalised log-probability of ``target`` (then <eos>) given ``source``."""
        with torch.inference_mode():
            memory, mask, state = self._encode([source])
            tokens = torch.tensor([[self.vocab.bos_id, *target]], device=self.device)
            logits, _ = self.model.decode(tokens, state, memory, mask)
            logp = torch.log_softmax(logits[0].float(), -1)
            wanted = torch.tensor([*target, self.vocab.eos_id], device=self.device)
            total = float(logp.gather(1, wanted[:, None]).sum())
        return total / (len(target) + 1) ** alpha

    def beam(self, source: Source | str, width: int = 5, n_best: int = 1,
             max_length: int = MAX_LENGTH, alpha: float = 1.0) -> list[tuple[str, float]]:
        """The ``n_best`` translations by beam search, best first, each with its score: the
        log-probability per character (× length^-alpha). The greedy translation is always
        among the candidates, so the best is never worse than greedy."""
        source = self.source(source) if isinstance(source, str) else source
        eos, k = self.vocab.eos_id, max(1, width)
        finished: dict[tuple[int, ...], float] = {}
        greedy_ids = self.vocab.encode("".join(self.stream(source, max_length)))
        finished[tuple(greedy_ids)] = self.score(source.ids, greedy_ids, alpha)
        with torch.inference_mode():
            memory, mask, state = self._encode([source.ids])
            seqs: list[list[int]] = [[]]
            scores = torch.zeros(1, device=self.device)
            token = torch.tensor([[self.vocab.bos_id]], device=self.device)
            for _ in range(max_length):
                n = len(seqs)
                logits, state = self.model.decode(token, state, memory.expand(n, -1, -1),
                                                  mask.expand(n, -1))
                total = scores[:, None] + torch.log_softmax(logits[:, -1].float(), -1)
                top = torch.topk(total.flatten(), min(2 * k, total.numel()))
                keep_rows, keep_ids, keep_scores = [], [], []
                for value, flat in zip(top.values.tolist(), top.indices.tolist(), strict=True):
                    row, tok = divmod(flat, total.shape[1])
                    seq = seqs[row] + [tok]
                    if tok == eos:
                        finished.setdefault(tuple(seq[:-1]), value / len(seq) ** alpha)
                    elif len(keep_rows) < k:
                        keep_rows.append(row)
                        keep_ids.append(tok)
                        keep_scores.append(value)
                if len(finished) > k or not keep_rows:
                    break
                rows = torch.tensor(keep_rows, device=self.device)
                state = (state[0][:, rows], state[1][:, rows])
                seqs = [seqs[r] + [t] for r, t in zip(keep_rows, keep_ids, strict=True)]
                scores = torch.tensor(keep_scores, device=self.device)
                token = torch.tensor(keep_ids, device=self.device)[:, None]
            if len(finished) < n_best:  # out of length: unfinished ones are candidates too
                for seq, value in zip(seqs, scores.tolist(), strict=True):
                    finished.setdefault(tuple(seq), value / max(len(seq), 1) ** alpha)
        best = sorted(finished.items(), key=lambda item: -item[1])[: max(1, n_best)]
        return [(self._render(list(ids)), score) for ids, score in best]


def quality(hypotheses: list[str], references: list[str]) -> dict:
    """chrF and BLEU (sacrebleu, on a 0–1 scale like the targets) and the exact-match share."""
    from sacrebleu.metrics import BLEU, CHRF

    refs = [references]
    return {
        "chrf": CHRF().corpus_score(hypotheses, refs).score / 100,
        "bleu": BLEU().corpus_score(hypotheses, refs).score / 100,
        "exact": sum(h == r for h, r in zip(hypotheses, references, strict=True))
        / max(len(references), 1),
    }
