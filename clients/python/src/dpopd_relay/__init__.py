"""dpopd-relay: the relay between a Python server and dpopd. `Relay` (sync, httpx) and
`AsyncRelay` (async) take a framework-neutral `RelayRequest` and return what to send the
client; `dpopd_relay.flask`, `dpopd_relay.starlette` (FastAPI too) and `dpopd_relay.django`
wrap them for each framework."""

from ._answers import Allowed, DpopdUnavailable, Interaction, Principal, Reply
from ._request import RelayRequest
from .aio import AsyncRelay
from .sync import Relay

__all__ = ["Allowed", "AsyncRelay", "DpopdUnavailable", "Interaction", "Principal", "Relay", "RelayRequest", "Reply"]
__version__ = "0.1.0"
