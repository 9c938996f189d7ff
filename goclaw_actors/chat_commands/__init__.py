"""Chat commands and @mentions (SPEC §7.1, §12), parsed in one place for every chat surface.

`lines` classifies a typed line, `routing` decides which agent gets it (and whether it becomes the
conversation's sticky target), `table` lists the slash commands, `runner` answers a command task, and
`processor` runs command tasks instead of the brain.
"""
