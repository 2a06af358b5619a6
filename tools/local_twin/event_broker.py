"""The twin's event plane broker: a ZMQ XSUB/XPUB forwarder bound to loopback, run by .venv-local's Python.

    python tools/local_twin/event_broker.py tcp://127.0.0.1:XSUB tcp://127.0.0.1:XPUB

Why: in Dynamo's direct ZMQ mode every event publisher (each mocker) binds its own PUB socket on 0.0.0.0 and only
the address it advertises can be set (DYN_EVENT_PLANE_HOST changes "the advertised address, not the listener's bind
address", Dynamo's KV relay guide). With DYN_ZMQ_BROKER_URL set, publishers and subscribers connect to a broker
instead of binding (lib/runtime/src/transports/event_plane/mod.rs, `resolve_zmq_broker`; the strings "Using explicit
ZMQ broker URL" and "EventPublisher in broker mode" are in ai-dynamo-runtime 1.3.0.post1's _core.abi3.so), so the
only event-plane listeners are these two loopback sockets. pyzmq is in requirements-local.txt.
"""

import sys

import zmq


def main(xsub_endpoint: str, xpub_endpoint: str) -> None:
    ctx = zmq.Context()
    xsub = ctx.socket(zmq.XSUB)  # publishers connect here
    xsub.bind(xsub_endpoint)
    xpub = ctx.socket(zmq.XPUB)  # subscribers connect here; their subscriptions flow back to the publishers
    xpub.bind(xpub_endpoint)
    print(f"event broker ready: xsub={xsub_endpoint} xpub={xpub_endpoint}", flush=True)
    zmq.proxy(xsub, xpub)  # until the supervisor stops the process group


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
