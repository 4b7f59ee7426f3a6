"""Charts as responses: the digests' PNG (``bot.reports.charts``), drawn in the chart
workers' processes so that the web's event loop keeps answering."""

from __future__ import annotations

from starlette.responses import Response

from bot.reports.chart_kinds import Rows


async def png(rows: Rows, title: str) -> Response:
    """The bars of ``rows`` under ``title``, as ``image/png``, cached by the browser for
    five minutes (the figures change with the day's answers, not by the second)."""
    from bot.reports.charts import draw_agency_bars  # matplotlib: only when a chart is asked

    drawn = await draw_agency_bars([(name, dict(counts)) for name, counts in rows], title)
    return Response(drawn, media_type="image/png",
                    headers={"Cache-Control": "private, max-age=300"})  # fmt: skip
