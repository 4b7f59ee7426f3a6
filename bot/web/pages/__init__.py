"""The web view's pages, a module per section (``bot.web.nav``): each exposes ``ROUTES``,
its endpoints built by ``bot.web.auth.page`` (CSRF, viewer, role), and renders a template
of ``templates/web/``. Figures come from the services and reports the chat's digests use,
never from queries of their own."""
