"""When a lost MCP server is tried again (SPEC §8.4): three retries after 1, 2 and 4 s, then the server is
marked down and tried every 60 s until it answers.

    delay, down = retry_after(failures)   # failures since the server last answered (1, 2, ...)
"""

RETRY_DELAYS = (1.0, 2.0, 4.0)
DOWN_RETRY_SECONDS = 60.0


def retry_after(failures: int) -> tuple[float, bool]:
    """(seconds until the next attempt, whether the server is now down) after `failures` failed
    connections or disconnects in a row."""
    if 1 <= failures <= len(RETRY_DELAYS):
        return RETRY_DELAYS[failures - 1], False
    return DOWN_RETRY_SECONDS, True
