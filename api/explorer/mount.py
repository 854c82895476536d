"""One call adds the explorer, the dashboard JSON, the dashboard pages and their static files to an app.

ECharts is served from the project's node_modules (npm `echarts`, pinned in package-lock.json): the
pages load nothing from any CDN.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from api.explorer.context import ExplorerSource
from api.explorer.dashboard_data import dashboard_router, warm_dashboards
from api.explorer.dashboard_metrics import ReadingsCache
from api.explorer.router import explorer_router, install_error_handlers
from ledger.chain.toolchain import PROJECT_ROOT
from ledger.config import Settings, load_settings

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"
ECHARTS_DIR = PROJECT_ROOT / "node_modules" / "echarts" / "dist"


def mount_explorer(app: FastAPI, settings: Settings) -> ExplorerSource:
    """Mount /explorer, /api/dashboard, /dashboard/…, /static and /vendor/echarts on `app`."""
    if not (ECHARTS_DIR / "echarts.min.js").exists():
        raise RuntimeError(f"{ECHARTS_DIR / 'echarts.min.js'} is missing: run `make setup` (npm ci installs echarts)")
    source = ExplorerSource(settings)
    app.state.explorer_source = source
    app.state.dashboard_cache = ReadingsCache()
    app.include_router(explorer_router())
    app.include_router(dashboard_router(app.state.dashboard_cache))
    install_error_handlers(app)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.mount("/vendor/echarts", StaticFiles(directory=ECHARTS_DIR), name="echarts")
    app.mount("/app", StaticFiles(directory=STATIC_DIR / "app", html=True), name="app")  # workflow pages

    @app.get("/dashboard/", include_in_schema=False)
    def dashboards() -> FileResponse:
        return FileResponse(STATIC_DIR / "dashboard" / "index.html")

    @app.get("/dashboard", include_in_schema=False)
    def dashboards_slash() -> RedirectResponse:
        return RedirectResponse("/dashboard/")

    @app.get("/dashboard/institution/{institution_id}", include_in_schema=False)
    def big_screen(institution_id: int) -> FileResponse:
        return FileResponse(STATIC_DIR / "dashboard" / "institution.html")

    @app.get("/dashboard/region/{region_id}", include_in_schema=False)
    def regulator(region_id: int) -> FileResponse:
        return FileResponse(STATIC_DIR / "dashboard" / "region.html")

    return source


def standalone_app(settings: Settings | None = None) -> FastAPI:
    """The explorer and dashboards alone, for an auditor with only an RPC URL, a deployment file and the evidence:

        ZCL_RPC_URL=… ZCL_DEPLOYMENT_FILE=… uvicorn --factory api.explorer.mount:standalone_app
    """
    app = FastAPI(title="Zero-carbon ledger: auditor's explorer")
    mount_explorer(app, settings or load_settings())
    return app


def warm_in_background(app: FastAPI) -> threading.Thread:
    """Start computing every institution's dashboard figures in a daemon thread (see warm_dashboards)."""
    thread = threading.Thread(target=lambda: warm_dashboards(app.state.explorer_source.get(), app.state.dashboard_cache),
                              name="zcl-dashboard-warm", daemon=True)
    thread.start()
    return thread
