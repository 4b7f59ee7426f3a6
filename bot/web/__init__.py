"""``dondoc run``'s own HTTP port: ``/healthz`` and Prometheus' ``/metrics`` (:mod:`.app`),
served by uvicorn inside the bot's event loop (:mod:`.server`)."""
