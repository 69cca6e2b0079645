"""The headless `poetui` sub-commands: parsing, progress bars, the corpus command."""
