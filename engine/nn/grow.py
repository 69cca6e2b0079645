"""A network's weights grown to a larger vocabulary: the start of a model continued on new text.

The old tokens keep their ids, so every old row is copied as it was. Each new token's
embedding row, and its output row, is the mean of the old rows. The output layer needs one
more thing: with the mean row, a new token's logit is exactly the mean of the old tokens'
logits (a mean of rows times the same hidden state), which on an unseen text would take some
probability from the old tokens. Its bias is therefore the old biases' mean minus
``NEW_TOKEN_OFFSET``: by Jensen's inequality each new token then has at most e^-16 / V_old of
the probability (about 1e-7 / V_old), so the old tokens' log-probabilities move by less than
k·1e-7 / V_old for k new tokens — below float32's resolution of a log-probability — and the
old model's predictions on old text are its own at step 0. The gradient of a new token that
occurs is still (p − 1) ≈ −1 on its logit, so it is learnt at once; a bias of −∞ would make
its loss infinite instead.
"""

from __future__ import annotations

import torch

NEW_TOKEN_OFFSET = 16.0  # nats below the mean old logit: e^-16 ≈ 1.1e-7


def grown_weights(old: dict[str, torch.Tensor], model: torch.nn.Module, old_vocab: int,
                  ) -> dict[str, torch.Tensor]:
    """``model``'s state dict filled from ``old`` (weights of the same network over the first
    ``old_vocab`` tokens): rows of the vocabulary-sized tensors grown, the rest as they were."""
    target = model.state_dict()
    if "head.weight" not in old and "embedding.weight" in old:
        old = {**old, "head.weight": old["embedding.weight"]}  # tied: saved once
    grown = {}
    for key, now in target.items():
        was = old[key]
        if was.shape == now.shape:
            grown[key] = was
            continue
        if was.shape[0] != old_vocab or was.shape[1:] != now.shape[1:]:
            raise ValueError(f"{key}: {tuple(was.shape)} cannot grow to {tuple(now.shape)}")
        extra = now.shape[0] - old_vocab
        mean = was.float().mean(dim=0, keepdim=True)
        if was.dim() == 1:  # an output bias: the new tokens start far below the old
            mean = mean - NEW_TOKEN_OFFSET
        grown[key] = torch.cat([was, mean.expand(extra, *was.shape[1:]).to(was.dtype)])
    return grown
