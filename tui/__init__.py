"""poetui's faces: the Textual app and the headless command line."""
