from __future__ import annotations

from django.core.management.base import BaseCommand

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

    def handle(self, *args, **options) -> None:
        server = SimulatorServer(options["host"], options["port"], latency_scale=options["latency_scale"],
                                 fixed_latency_ms=options["fixed_latency_ms"])
        self.stdout.write(f"simulated OpenAI-compatible endpoint on {server.base_url} "
                          f"serving: {', '.join(ENDPOINT_MODELS)}")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.httpd.server_close()
