"""The `poetui` command for the tests, each run in a process of its own forked from one that
has imported PyTorch and the command's modules already. Importing PyTorch takes about 3 s on a
2-core machine and the suite runs the command over a hundred times: a third of its time went
to that. A forked command is still a fresh process as far as the command can tell: its own exit
status, stdin, stdout, stderr, environment and working folder.

Run as a script it is the server: it reads requests (arguments, environment, folder and three
file descriptors) from a socket, forks, and reports the child's pid and then its exit status.
"""

from __future__ import annotations

import atexit
import json
import locale
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading

_lock = threading.Lock()
_server: tuple[subprocess.Popen, socket.socket] | None = None


def _connection() -> socket.socket:
    """The server of this test process, started on first use (and again if it died)."""
    global _server
    if _server is None or _server[0].poll() is not None:
        ours, theirs = socket.socketpair()
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        process = subprocess.Popen([sys.executable, __file__, str(theirs.fileno())],
                                   pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, env=env)
        theirs.close()
        _server = (process, ours)
    return _server[1]


def _text(file) -> str:
    """What the command wrote, read as subprocess.run(text=True) reads it (universal
    newlines: a progress bar's carriage returns read as line breaks)."""
    file.seek(0)
    data = file.read().decode(locale.getpreferredencoding(False))
    return data.replace("\r\n", "\n").replace("\r", "\n")


def run(command: str, args: list[str], env: dict[str, str], input: str | None = None,
        timeout: float = 240.0) -> subprocess.CompletedProcess:
    """Run ``command args`` (stdin: ``input``, or empty) and return what subprocess.run with
    capture_output=True and text=True returns."""
    with _lock, tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as out, \
            tempfile.TemporaryFile() as err:
        if input is not None:
            stdin.write(input.encode(locale.getpreferredencoding(False)))
            stdin.seek(0)
        sock = _connection()
        request = json.dumps({"args": args, "env": env, "cwd": os.getcwd()}).encode()
        socket.send_fds(sock, [struct.pack("!I", len(request)) + request],
                        [stdin.fileno(), out.fileno(), err.fileno()])
        sock.settimeout(30)
        (pid,) = struct.unpack("!i", _receive(sock, 4))
        sock.settimeout(timeout)
        try:
            (code,) = struct.unpack("!i", _receive(sock, 4))
        except TimeoutError:
            os.kill(pid, 9)
            _receive(sock, 4)
            raise subprocess.TimeoutExpired([command, *args], timeout) from None
        return subprocess.CompletedProcess([command, *args], code, _text(out), _text(err))


def _receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise RuntimeError("the tests' poetui fork server died; see its stderr")
        data += chunk
    return data


def _exit(main) -> None:
    """Run ``main`` and end the process as a Python program ends (threads joined, atexit
    handlers run, output flushed), less the tearing down of every module: with PyTorch loaded
    that takes a second, and nothing of it can be seen from outside."""
    try:
        code = main()
    except SystemExit as exc:
        code = exc.code
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    threading._shutdown()  # what the interpreter does first at exit
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def _serve(sock: socket.socket) -> None:
    """Import what the commands import, then fork one child per request."""
    from engine.nn.threads import prepare_env

    prepare_env()  # as the command does before PyTorch loads
    import torch  # noqa: F401

    import engine.loading  # noqa: F401
    import engine.train.job  # noqa: F401
    import tui.cli.main  # noqa: F401

    while True:
        head, fds, _, _ = socket.recv_fds(sock, 4, 3)
        if not head:
            return  # the tests are done
        (size,) = struct.unpack("!I", head)
        request = json.loads(_receive(sock, size))
        pid = os.fork()
        if pid == 0:
            sock.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
                os.close(fd)
            os.environ.clear()
            os.environ.update(request["env"])
            os.chdir(request["cwd"])
            sys.argv = ["poetui", *request["args"]]
            _exit(tui.cli.main.main)
        for fd in fds:
            os.close(fd)
        sock.sendall(struct.pack("!i", pid))
        _, status = os.waitpid(pid, 0)
        sock.sendall(struct.pack("!i", os.waitstatus_to_exitcode(status)))


if __name__ == "__main__":
    _serve(socket.socket(fileno=int(sys.argv[1])))
