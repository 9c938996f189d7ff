"""`goclaw dashboard`: the terminal dashboard, attached to the daemon at bind_addr or to one started in process."""

from supervisors.commands.common import parser


def main(argv: list[str]) -> int:
    """Run the dashboard (line mode on a dumb terminal or with GOCLAW_NO_TUI); returns the exit status."""
    parser("dashboard", "The terminal dashboard: agents, queue, supervision tree, events, usage and chat, "
                        "attached to the running daemon or to one started in this process.").parse_args(argv)
    from supervisors.dashboard_run import run_dashboard
    return run_dashboard()
