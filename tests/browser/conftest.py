"""Page tests: a real uvicorn serving the app over a real anvil and world, driven by Debian's chromium.

Browser tests skip, saying why, when /usr/bin/chromium is absent (`make setup` installs it when run as root).
Screenshots go to tests/browser/artifacts/ (not committed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ledger.chain.devchain import DevChain, free_port, port_is_open
from ledger.config import Settings
from tests.browser.world import World, build_world

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

NO_CHROMIUM = ("Debian chromium not installed at /usr/bin/chromium "
               "(apt-get install chromium, or `make setup` as root)")


def make_app(settings: Settings):
    """The project's app when api/app.py exists (it mounts the explorer); else a bare app with the explorer only."""
    try:
        from api.app import create_app
    except ImportError:
        from api.explorer.mount import standalone_app

        return standalone_app(settings)
    return create_app(settings)


@dataclass
class Server:
    url: str
    world: World


class _Uvicorn:
    def __init__(self, app, port: int) -> None:
        import uvicorn

        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start within 30 s")
            time.sleep(0.05)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


# Package scope, not session: playwright's sync API keeps an event loop running on the main thread while it
# is open, and every later test calling asyncio.run (pymodbus' clients do) would fail.
@pytest.fixture(scope="package")
def world(anvil: DevChain, tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(anvil.rpc_url, tmp_path_factory.mktemp("browser-world") / "zcl")


@pytest.fixture(scope="package")
def server(world: World) -> Iterator[Server]:
    port = free_port()
    uvicorn_server = _Uvicorn(make_app(world.settings), port)
    uvicorn_server.start()
    assert port_is_open(port)
    yield Server(f"http://127.0.0.1:{port}", world)
    uvicorn_server.stop()


@pytest.fixture(scope="package")
def browser():
    """Headless Debian chromium; tests that need it skip, saying why, when it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip(NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield browser
        browser.close()


@dataclass
class Tab:
    """A page plus every console error and failed request it produced."""

    page: object
    errors: list[str]

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.wait_for_timeout(1200)  # let ECharts finish its 1 s entry animation: pictures, not assertions
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def tab(browser) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, locale="en-US")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url} {r.failure}"))
    yield Tab(page, errors)
    context.close()
