"""Writing skills for tests: SKILL.md directories and WAT modules."""

from pathlib import Path


def write_skill(root: Path, directory: str, front: str, body: str = "Instructions.\n") -> Path:
    """`root/<directory>/SKILL.md` with `front` as its front matter; returns the directory."""
    path = root / directory
    path.mkdir(parents=True, exist_ok=True)
    (path / "SKILL.md").write_text(f"---\n{front.strip()}\n---\n{body}", encoding="utf-8")
    return path


RANDOM_WAT = '(module (func (export "random") (result i32) (i32.const 4)))'
"""A `random` skill that always answers 4 (chosen by fair dice roll)."""

SPIN_WAT = '(module (func (export "run") (loop $l (br $l))))'
"""A guest that never returns."""

MEMORY_BOMB_WAT = """(module (memory (export "memory") 1)
  (func (export "run") (result i32)
    (loop $grow (br_if $grow (i32.ne (memory.grow (i32.const 1)) (i32.const -1))))
    (i32.store (i32.const 0x7fffffff) (i32.const 1)) (i32.const 0)))"""
"""A guest that grows its memory until refused, then writes past the end."""

TRAP_WAT = '(module (func (export "run") (unreachable)))'

KV_WAT = """(module (import "host" "host.kv.set" (func $kv (param i32 i32 i32 i32) (result i32)))
  (import "host" "host.log" (func $log (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "wasm:keyvalue") (data (i32.const 32) "infowrote it")
  (func (export "run") (result i32)
    (call $log (i32.const 32) (i32.const 4) (i32.const 36) (i32.const 8))
    (call $kv (i32.const 0) (i32.const 8) (i32.const 8) (i32.const 5))))"""
"""Stores `wasm:key` = `value`, logs `wrote it`, returns what host.kv.set returned."""


def http_wat(url: str) -> str:
    """A guest that fetches `url` with host.http.get and returns its result (a pointer into its memory,
    written through its `alloc`, or 0)."""
    escaped = "".join(f"\\{byte:02x}" for byte in url.encode())
    return f"""(module (import "host" "host.http.get" (func $get (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (global $next (mut i32) (i32.const 4096))
  (data (i32.const 0) "{escaped}")
  (func (export "alloc") (param $n i32) (result i32) (local $p i32)
    (local.set $p (global.get $next)) (global.set $next (i32.add (global.get $next) (local.get $n))) (local.get $p))
  (func (export "run") (result i32) (call $get (i32.const 0) (i32.const {len(url.encode())}))))"""

WASI_RANDOM_WAT = """(module (import "wasi_snapshot_preview1" "random_get" (func $rnd (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "random") (result i32)
    (drop (call $rnd (i32.const 0) (i32.const 4)))
    (i32.rem_u (i32.load (i32.const 0)) (i32.const 1000))))"""
"""The README's example `random` skill: a number in 0..999 from WASI's random_get."""
