"""BuildKit speaks gRPC to a frontend over its stdin and stdout; grpcio cannot.

So the frontend listens on an abstract unix socket, points a gRPC channel at it, and two
threads copy bytes between the accepted connection and the saved stdio descriptors.
Standard output is moved aside first: a stray print must not corrupt the stream.
"""

from __future__ import annotations

import os
import socket
import sys
import threading

import grpc

# BuildKit's own limits (util/grpcerrors, frontend/gateway/grpcclient).
MAX_MESSAGE_BYTES = 16 << 20
# Errors arrive as trailers holding whole Dockerfiles and stack traces: far more than
# grpcio's default of 16 KiB.
MAX_METADATA_BYTES = 16 << 20


def open_channel() -> grpc.Channel:
    """A gRPC channel whose bytes travel over this process's stdin and stdout."""
    stream_in = os.dup(0)
    stream_out = os.dup(1)
    os.dup2(2, 1)  # from now on fd 1 (and print) reaches the daemon's log, not the stream
    sys.stdout = sys.stderr
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)

    name = f"buildkit-pyenv-{os.getpid()}"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind("\0" + name)
    listener.listen(1)
    threading.Thread(
        target=_serve_once, args=(listener, stream_in, stream_out), daemon=True
    ).start()
    return grpc.insecure_channel(
        f"unix-abstract:{name}",
        options=[
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_metadata_size", MAX_METADATA_BYTES),
            ("grpc.absolute_max_metadata_size", MAX_METADATA_BYTES),
            # One connection only: there is no second stdin to reconnect to.
            ("grpc.enable_retries", 0),
        ],
    )


def _serve_once(listener: socket.socket, stream_in: int, stream_out: int) -> None:
    connection, _ = listener.accept()
    listener.close()
    threading.Thread(target=_stdin_to_socket, args=(stream_in, connection), daemon=True).start()
    _socket_to_stdout(connection, stream_out)


def _stdin_to_socket(stream_in: int, connection: socket.socket) -> None:
    while data := os.read(stream_in, 1 << 16):
        connection.sendall(data)
    connection.shutdown(socket.SHUT_WR)


def _socket_to_stdout(connection: socket.socket, stream_out: int) -> None:
    while data := connection.recv(1 << 16):
        view = memoryview(data)
        while view:
            view = view[os.write(stream_out, view) :]
