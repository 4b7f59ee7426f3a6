"""dondoc's HTTP servers, served by uvicorn in threads of their own beside the bot's event
loop (:mod:`.server`):

- ``dondoc run``'s monitoring port: ``/healthz`` and Prometheus' ``/metrics`` (:mod:`.app`);
- the web view for heads, coordinators and admins (:mod:`.site`, ``dondoc web`` or
  ``dondoc run`` with WEB_PORT): sign-in by a one-time link (:mod:`.auth`), security
  headers (:mod:`.security`), pages under :mod:`.pages`, templates in ``templates/web/``.
"""
