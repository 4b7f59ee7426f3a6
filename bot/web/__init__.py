"""``dondoc run``'s own HTTP port: ``/healthz`` and Prometheus' ``/metrics`` (:mod:`.app`),
served by uvicorn in a thread of its own, beside the bot's event loop (:mod:`.server`)."""
