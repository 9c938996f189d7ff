"""The fault codes of WASM skill calls (SPEC §8.3) and the error that carries them."""

MODULE_NOT_FOUND = "WASM_MODULE_NOT_FOUND"
TIMEOUT = "WASM_TIMEOUT"
MEMORY_EXCEEDED = "WASM_MEMORY_EXCEEDED"
NO_EXPORT = "WASM_NO_EXPORT"
FAULT = "WASM_FAULT"
QUARANTINED = "WASM_QUARANTINED"
HOST_MEMORY_EXHAUSTED = "WASM_HOST_MEMORY_EXHAUSTED"

COUNTED = frozenset({TIMEOUT, MEMORY_EXCEEDED, FAULT})  # faults of the guest itself: they lead to quarantine


class WasmFault(Exception):
    """A skill call that failed: `code` is one of the fault codes above, `module` the skill."""

    def __init__(self, code: str, module: str, detail: str):
        super().__init__(f"{code}: module={module}: {detail}")
        self.code = code
        self.module = module
        self.detail = detail
