"""The dashboard's page and the plotly.js it loads (served locally: the page needs no network)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from gigawatt._version import __version__
from gigawatt.sitemap import MAP_CLICK_JS
from gigawatt.web.schemas import MAX_DRAWS

router = APIRouter()
pages = Environment(loader=PackageLoader("gigawatt", "templates"), autoescape=select_autoescape(["html"]))


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def index() -> HTMLResponse:
    return HTMLResponse(
        pages.get_template("dashboard.html").render(
            max_draws=MAX_DRAWS, version=__version__, map_click_js=MAP_CLICK_JS
        )
    )


@router.get("/static/plotly.min.js", include_in_schema=False)
def plotly_js() -> Response:
    return Response(
        get_plotlyjs(), media_type="application/javascript", headers={"Cache-Control": "max-age=86400"}
    )
