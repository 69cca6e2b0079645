"""Writing with a trained network: the sampler, Tang forms, translation, novelty."""
