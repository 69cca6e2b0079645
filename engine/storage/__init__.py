"""What lasts on disk: the model store, checkpoints, the run store and its lock."""
