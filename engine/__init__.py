"""poetui's engine: corpora → tokens → batches → model → trainer → events → stores.

No module here imports Textual; `engine.config` and the stores import no PyTorch.
"""
