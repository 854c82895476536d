"""What the person at the terminal sees: one line per step, a progress bar, the panel of URLs and logins."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from scripts.demo.compound import CompoundNodes
from scripts.demo.layout import DemoLayout
from scripts.demo.readiness import CHECKS, Readiness
from scripts.demo.users import DemoLogin

console = Console()


def say(text: str) -> None:
    console.print(f"[bold cyan]›[/bold cyan] {text}", highlight=False)


def progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=True, disable=not console.is_terminal)


def urls(layout: DemoLayout, nodes: CompoundNodes) -> list[tuple[str, str]]:
    base = layout.api_url
    return [("big screen (institution)", f"{base}/dashboard/institution/{nodes.institution}"),
            ("regulator's screen (Qingyang)", f"{base}/dashboard/region/{nodes.district}"),
            ("all dashboards", f"{base}/dashboard/"),
            ("auditor's explorer", f"{base}/explorer"),
            ("API docs", f"{base}/docs")]


def platform_panel(layout: DemoLayout, nodes: CompoundNodes, logins: list[DemoLogin], transport: str) -> Panel:
    links = Table.grid(padding=(0, 2))
    links.add_column()
    links.add_column(overflow="fold")  # a URL or password is never cut short
    for label, url in urls(layout, nodes):
        links.add_row(label, f"[link={url}]{url}[/link]")
    people = Table(title=f"Demo logins (passwords kept in {layout.passwords})", title_justify="left")
    for column in ("user", "password", "role", "scope", "can"):
        people.add_column(column, overflow="fold", no_wrap=column != "can")
    for login in logins:
        people.add_row(login.username, login.password, login.role.value, str(login.org_id or "all"), login.what)
    notes = (f"chain {layout.rpc_url} (state {layout.anvil_state}); readings arrive by {transport}\n"
             f"logs in {layout.logs}/; Ctrl-C stops everything, `make demo` again resumes, `make clean` starts afresh")
    return Panel(Group(links, "", people, "", notes), title="Zero-carbon ledger: the Xihuamen compound is live",
                 border_style="green")


def readiness_table(state: Readiness) -> Table:
    table = Table(title="Readiness (seconds from start)")
    table.add_column("check")
    table.add_column("ready after", justify="right")
    table.add_column("detail")
    for check in CHECKS:
        seconds = state.passed.get(check)
        table.add_row(check, "-" if seconds is None else f"{seconds:.1f} s",
                      "ok" if seconds is not None else state.last_problem.get(check, "not checked"))
    return table
