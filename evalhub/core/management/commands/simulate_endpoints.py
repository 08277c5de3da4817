from __future__ import annotations

import contextlib
import os
import signal
import sys

from django.core.management.base import BaseCommand, CommandError

from evalhub.core.simulator import SimulatorServer
from evalhub.core.world import ENDPOINT_MODELS


class Command(BaseCommand):
    help = "Serve the demo variants as an OpenAI-compatible chat-completions endpoint (simulated)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--latency-scale", type=float, default=1.0,
                            help="multiply the simulated latencies (0 = answer at once)")
        parser.add_argument("--fixed-latency-ms", type=float, default=None)
        parser.add_argument("--processes", type=int, default=1,
                            help="serve from N forked processes sharing the port (SO_REUSEPORT), like a "
                                 "multi-worker endpoint")
        parser.add_argument("--reuse-port", action="store_true",
                            help="set SO_REUSEPORT, so other simulator processes can serve the same port")
        parser.add_argument("--request-log", default=None,
                            help="append '<received> <answered>' (unix seconds) per chat request to this file")

    def handle(self, *args, **options) -> None:
        processes = options["processes"]
        if processes < 1:
            raise CommandError("--processes must be at least 1")
        reuse_port = options["reuse_port"] or processes > 1

        def make(port: int) -> SimulatorServer:
            return SimulatorServer(options["host"], port, latency_scale=options["latency_scale"],
                                   fixed_latency_ms=options["fixed_latency_ms"], reuse_port=reuse_port,
                                   request_log=options["request_log"])

        # Every socket is bound and listening before the banner, so a client that sees the port
        # answer is served by all the processes (port 0: the others join the first one's port).
        servers = [make(options["port"])]
        servers += [make(servers[0].port) for _ in range(processes - 1)]
        self.stdout.write(f"simulated OpenAI-compatible endpoint on {servers[0].base_url} "
                          f"serving: {', '.join(ENDPOINT_MODELS)}"
                          + (f" ({processes} processes)" if processes > 1 else ""))
        if processes == 1:
            self._serve(servers[0])
            return
        self.stdout.flush()
        sys.stderr.flush()
        children = []
        for i, server in enumerate(servers):
            pid = os.fork()
            if pid == 0:  # the child serves its own socket and closes the others' copies
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                for j, other in enumerate(servers):
                    if j != i:
                        other.httpd.server_close()
                try:
                    self._serve(server)
                finally:
                    os._exit(0)
            children.append(pid)
        for server in servers:  # the children hold the sockets now
            server.httpd.server_close()
        self._supervise(children)

    @staticmethod
    def _serve(server: SimulatorServer) -> None:
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()

    @staticmethod
    def _supervise(children: list[int]) -> None:
        """Wait for the children; SIGTERM/SIGINT to this process stops them all."""
        def stop(signum: int, frame: object) -> None:
            for pid in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGTERM)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        remaining = set(children)
        while remaining:
            try:
                pid, _ = os.wait()
            except ChildProcessError:
                break
            except InterruptedError:
                continue
            remaining.discard(pid)
            if remaining:  # one died: do not keep serving at reduced capacity unnoticed
                stop(signal.SIGTERM, None)
