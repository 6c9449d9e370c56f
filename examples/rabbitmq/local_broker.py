#!/usr/bin/env python3
"""A private RabbitMQ broker on 127.0.0.1, for tests and trying the worker.

Not the system service: everything (node name, ports, database, logs, the
Erlang cookie, its own epmd) lives under one temporary directory, so it runs
beside any other broker and as any user. Run directly, it prints the AMQP port
and serves until Ctrl-C:

    python3 examples/rabbitmq/local_broker.py
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Debian's, without the wrapper that switches to the rabbitmq user; override for other layouts.
RABBITMQ_SERVER = os.environ.get("WAL_RABBITMQ_SERVER", "/usr/lib/rabbitmq/bin/rabbitmq-server")
EPMD = shutil.which("epmd") or "/usr/bin/epmd"


class BrokerUnavailable(Exception):
    """The broker could not be started here (not installed, or failed to boot)."""


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LocalBroker:
    def __init__(self, start_timeout=90.0):
        self.start_timeout = start_timeout
        self.root = None
        self.port = None
        self._epmd = None
        self._server = None
        self._output = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        if not os.path.exists(RABBITMQ_SERVER):
            raise BrokerUnavailable(f"{RABBITMQ_SERVER} not found (apt-get install rabbitmq-server)")
        if not os.path.exists(EPMD):
            raise BrokerUnavailable("epmd not found (it comes with erlang-base)")
        self.root = tempfile.mkdtemp(prefix="wal-rabbitmq-")
        home = os.path.join(self.root, "home")
        for sub in ("home", "mnesia", "log"):
            os.makedirs(os.path.join(self.root, sub))
        plugins = os.path.join(self.root, "enabled_plugins")
        with open(plugins, "w") as f:
            f.write("[].\n")
        self.port = free_port()
        dist_port = free_port()
        epmd_port = free_port()
        env = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": home,  # the Erlang cookie goes here
            "LANG": "C.UTF-8",
            "ERL_EPMD_PORT": str(epmd_port),
            "RABBITMQ_NODENAME": f"wal-test-{os.getpid()}@localhost",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(dist_port),
            "RABBITMQ_MNESIA_BASE": os.path.join(self.root, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(self.root, "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": plugins,
            "RABBITMQ_PLUGINS_EXPAND_DIR": os.path.join(self.root, "plugins-expand"),
            "RABBITMQ_CONFIG_FILE": os.path.join(self.root, "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(self.root, "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": os.path.join(self.root, "rabbitmq-env.conf"),
            "RABBITMQ_PID_FILE": os.path.join(self.root, "rabbitmq.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self._epmd = subprocess.Popen([EPMD, "-port", str(epmd_port), "-address", "127.0.0.1"],
                                      env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      start_new_session=True)
        # The server must find our epmd, or it would start a daemon of its own.
        if not self._wait_for_port(epmd_port, 10.0):
            raise BrokerUnavailable(f"epmd did not listen on 127.0.0.1:{epmd_port}")
        self._output = open(os.path.join(self.root, "server.out"), "w")
        self._server = subprocess.Popen([RABBITMQ_SERVER], env=env, cwd=self.root,
                                        stdout=self._output, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self._server.poll() is not None:
                raise BrokerUnavailable(f"rabbitmq-server exited with code {self._server.returncode}:\n"
                                        + self.output_tail())
            if self._amqp_answers():
                return
            time.sleep(0.5)
        raise BrokerUnavailable(f"rabbitmq-server did not accept AMQP connections within "
                                f"{self.start_timeout:.0f} s:\n" + self.output_tail())

    def _wait_for_port(self, port, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return True
            except OSError:
                time.sleep(0.05)
        return False

    def _amqp_answers(self):
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"AMQP\x00\x00\x09\x01")
                return len(sock.recv(8)) > 0  # Connection.Start
        except OSError:
            return False

    def output_tail(self, lines=30):
        path = os.path.join(self.root or "", "server.out")
        try:
            with open(path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return "(no output)"

    def stop(self):
        # Only what we started: the server's own process group, then our epmd.
        for process in (self._server, self._epmd):
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait()
        self._server = self._epmd = None
        if getattr(self, "_output", None) is not None:
            self._output.close()
            self._output = None
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None


if __name__ == "__main__":
    try:
        with LocalBroker() as broker:
            print(f"RabbitMQ on 127.0.0.1:{broker.port} (Ctrl-C stops it and removes {broker.root})",
                  flush=True)
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
            signal.sigwait({signal.SIGINT, signal.SIGTERM})
    except BrokerUnavailable as error:
        print(f"local_broker: {error}", file=sys.stderr)
        sys.exit(1)
