"""The heartbeat's plain logic (SPEC §10): what counts as content in HEARTBEAT.md, slots, and appending a reply
to HEARTBEAT_RESULTS.md once."""

from goclaw_actors.heartbeat import (RESULTS_FILE, append_result, beat_key, has_content, heartbeat_prompt,
                                     result_marker, slot_of)
from goclaw_actors.home import HEARTBEAT_TEMPLATE


def test_only_text_beyond_blank_lines_headings_and_comments_is_content():
    assert not has_content(HEARTBEAT_TEMPLATE)
    assert not has_content("")
    assert not has_content("# Heartbeat\n\n## Daily\n   \n<!-- a\nmulti-line\ncomment -->\n<!-- unclosed")
    assert has_content("# Heartbeat\n- check the backups\n")
    assert has_content("<!-- note --> water the plants")


def test_slots_and_their_keys():
    assert slot_of(3599.9, 1800) == 1 and slot_of(3600, 1800) == 2
    assert beat_key(1800.0, 2) == "heartbeat:1800:2" and beat_key(0.3, 7) == "heartbeat:0.3:7"
    assert heartbeat_prompt("- a").endswith("\n\n- a") and "HEARTBEAT.md" in heartbeat_prompt("- a")


def test_a_reply_is_appended_once_under_a_timestamp_header(tmp_path):
    assert append_result(tmp_path, "task-1", "2026-03-09 10:00:00", "All good.\n") is True
    assert append_result(tmp_path, "task-1", "2026-03-09 10:00:00", "All good.\n") is False
    assert append_result(tmp_path, "task-2", "2026-03-09 10:30:00.5", "Backups late.") is True
    assert (tmp_path / RESULTS_FILE).read_text() == (
        "# Heartbeat results\n\n"
        f"## 2026-03-09T10:00:00.000000Z\n{result_marker('task-1')}\n\nAll good.\n\n"
        f"## 2026-03-09T10:30:00.500000Z\n{result_marker('task-2')}\n\nBackups late.\n")
    assert ((tmp_path / RESULTS_FILE).stat().st_mode & 0o777) == 0o600
