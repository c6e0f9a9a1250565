"""The process: its services (runtime) and the composition root that wires settings to
the database, event hub, job queue and providers, then to the ASGI app or the worker."""
