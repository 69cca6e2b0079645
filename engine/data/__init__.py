"""Text in, batches out: reading files, the catalog's downloads, recipes, tokenizers, batching."""
