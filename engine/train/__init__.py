"""Making and training a model: creation, the trainer, evaluation, estimates, the worker."""
