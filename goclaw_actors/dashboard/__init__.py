"""The terminal dashboard's plain logic: a client of the daemon's ACP and REST APIs, the screen's state,
layout and panes rendered to lines, the line diff that keeps redraws small, command parsing and @mention
routing. The blessed event loop (`tui`) and the line mode (`line_mode`) are thin shells around it."""
