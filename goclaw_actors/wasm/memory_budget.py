"""WASM memory across live instances (SPEC §8.3): each call reserves the pages its store may grow to —
at most 160, and never more than what the 640-page aggregate leaves — so that the instances running
together can never hold more than the aggregate. Used on the hub only (no locking)."""

from dataclasses import dataclass, field

PAGE_BYTES = 65536
MODULE_LIMIT_PAGES = 160
AGGREGATE_LIMIT_PAGES = 640


@dataclass
class MemoryBudget:
    """Reservations of the calls running now, and each module's pages when its last call ended."""

    module_limit: int = MODULE_LIMIT_PAGES
    aggregate_limit: int = AGGREGATE_LIMIT_PAGES
    reserved: int = 0
    module_pages: dict[str, int] = field(default_factory=dict)

    def reserve(self, minimum: int) -> int:
        """Reserve pages for one call: up to the module limit within what is left; 0 (nothing reserved)
        when what is left is below the module's `minimum` pages."""
        pages = min(self.module_limit, self.aggregate_limit - self.reserved)
        if pages < max(minimum, 1):
            return 0
        self.reserved += pages
        return pages

    def release(self, pages: int) -> None:
        """Give back a call's reservation."""
        self.reserved = max(0, self.reserved - pages)

    def observed(self, module: str, pages: int) -> None:
        """Record a module's memory size at the end of a call."""
        self.module_pages[module] = pages

    def forget(self, module: str) -> None:
        """A module was unloaded."""
        self.module_pages.pop(module, None)
