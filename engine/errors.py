"""The one exception type whose message is meant for the user's eyes, and the pieces of its
sentences that several layers share."""

import difflib


class PoetuiError(Exception):
    """Something the user can act on; ``str(error)`` is one plain sentence saying what to do."""


def write_failure(exc: BaseException, where: object, safe: str = "",
                  full: bool = False) -> PoetuiError:
    """The one sentence for a write that failed: a full disk, a read-only or forbidden folder,
    or another system error, with what is still safe (``safe``) and what to do. ``full``: the
    caller saw the disk run out (some writers, torch's among them, do not say so)."""
    import errno

    code = getattr(exc, "errno", None)
    text = str(exc).lower()
    if full or code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) or "disk is full" in text \
            or "no space left" in text or "file too large" in text:
        what = f"The disk holding {where} is full"
        todo = "free some space"
    elif code in (errno.EROFS, errno.EACCES, errno.EPERM) or "readonly" in text \
            or "read-only" in text:
        what = f"{where} cannot be written (read-only or not yours)"
        todo = "set POETUI_HOME to a folder you can write to"
    else:
        what = f"Writing to {where} failed ({getattr(exc, 'strerror', None) or exc})"
        todo = "fix the cause"
    return PoetuiError(f"{what}; {safe + '; ' if safe else ''}{todo} and try again.")


def did_you_mean(word: str, choices: list[str]) -> str:
    """The closest of ``choices``, as " (did you mean 'x'?)", or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""
