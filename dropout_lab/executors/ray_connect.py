"""Connecting to a Ray cluster that runs elsewhere (``--address``): fail fast, with one line.

``ray.init(address=...)`` retries for a long time before it raises, and with Ray 2.60's token
authentication it does not send this machine's token to an address it is given; these
helpers check the address first, send the local token, and name what is wrong.
"""

from __future__ import annotations

import contextlib
import os
import socket

from .base import ExecutorError, first_line

AUTH_MODE = "RAY_AUTH_MODE"  # Ray's token authentication: "token" or "disabled"
_REJECTED = {  # why a Ray cluster rejected this client, by the client's RAY_AUTH_MODE
    "token": "rejected the authentication token sent from here",
    "disabled": f"needs an authentication token and {AUTH_MODE}=disabled here sends none",
    "": "needs an authentication token and none was found here"}


def check_reachable(address: str, timeout: float) -> None:
    """Fail fast when nothing listens at ``address`` (``HOST:PORT`` or ``ray://HOST:PORT``)."""
    hostport = address.split("://", 1)[-1]
    host, _, port = hostport.rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(f"--address must be HOST:PORT (e.g. 10.0.0.5:6379); got {address!r}")
    try:
        socket.create_connection((host, int(port)), timeout=timeout).close()
    except OSError as exc:
        raise ExecutorError(f"cannot reach a Ray cluster at {address} within {timeout:g} s: "
                            f"{exc.strerror or exc}; start one with `ray start --head` there, "
                            "or leave out --address to run on a local Ray") from None


def use_local_token() -> None:
    """Send this machine's Ray token when ``RAY_AUTH_MODE`` is unset and a token is here
    (``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH`` or ``~/.ray/auth_token``): ``ray.init()`` does
    so for a cluster it finds itself, not for an address it is given, while ``ray start
    --head`` turns token authentication on whenever a token is there."""
    try:
        from ray._raylet import AuthenticationTokenLoader, Config
    except ImportError:  # a Ray without token authentication
        return
    if os.environ.get(AUTH_MODE) is None and AuthenticationTokenLoader.instance().has_token(ignore_auth_mode=True):
        os.environ[AUTH_MODE] = "token"  # for this process and the processes it starts
        Config.initialize("")  # Ray reads its settings once: read them again


def check_authenticated(address: str) -> None:
    """Fail at once when the cluster at ``address`` rejects this client (``ray.init`` would
    try 20 times, a second apart, then raise a ``ConnectionError``)."""
    try:
        from ray._raylet import GcsClient
        from ray.exceptions import AuthenticationError, RayError
    except ImportError:  # a Ray without token authentication
        return
    try:
        with _stderr_discarded():  # Ray's C++ client logs each failed attempt there
            GcsClient(address=address)
    except AuthenticationError:
        why = _REJECTED.get(os.environ.get(AUTH_MODE, "").lower(), _REJECTED[""])
        raise ExecutorError(f"the Ray cluster at {address} {why}; "
                            "put the head's token (`ray get-auth-token` on it) in ~/.ray/auth_token or "
                            "RAY_AUTH_TOKEN here") from None
    except RayError as exc:
        raise ExecutorError(f"no Ray cluster answers at {address}: {first_line(exc)}") from None


@contextlib.contextmanager
def _stderr_discarded():
    """File descriptor 2 to the null device for a moment (C++ code writes there directly)."""
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to silence
        yield
        return
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
