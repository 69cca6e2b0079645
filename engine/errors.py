"""The one exception type whose message is meant for the user's eyes."""


class PoetuiError(Exception):
    """Something the user can act on; ``str(error)`` is one plain sentence saying what to do."""
