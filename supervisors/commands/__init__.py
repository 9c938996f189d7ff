"""One module per `goclaw` command; each has `main(argv) -> exit status` (supervisors/cli.py dispatches)."""
