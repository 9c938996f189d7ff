"""`goclaw skill install|list|remove|update|info` (SPEC §8.5): manage skills in `$GOCLAW_HOME/installed`.

A running daemon picks every change up through its SkillWatcher; installing grants no capability.
"""

import sys
from pathlib import Path

from goclaw_actors.errors import GoclawError, StartupError
from goclaw_actors.file_modes import make_private_dir
from goclaw_actors.skills.install_source import InstallSourceError, check_name, parse_source
from goclaw_actors.skills.installer import InstallError, Provenance, install, remove
from goclaw_actors.skills.registry_file import RegistryFile
from goclaw_actors.startup import DB_FILE
from supervisors.commands.common import cli_environment, fail, parser, sqlite_only

COMMAND = "skill"
DEFAULT_REF = "(default)"


def main(argv: list[str]) -> int:
    """Run one `goclaw skill` subcommand; 0 on success, 1 with the reason on stderr, 2 for usage errors."""
    cli = parser(COMMAND, "Install, list, update, inspect and remove skills (SKILL.md directories).")
    sub = cli.add_subparsers(dest="action", required=True, metavar="{install,list,remove,update,info}")
    add = sub.add_parser("install", help="install a skill from GitHub, a git repository or a local directory")
    add.add_argument("source", help="https://github.com/<o>/<r>[/tree/<ref>/<subdir>], git@github.com:<o>/<r>, "
                                    "a local path or a file:// URL")
    add.add_argument("--ref", default="", help="branch or tag to install (default: the repository's default)")
    add.add_argument("--force", action="store_true", help="replace a skill installed under the same name")
    sub.add_parser("list", help="the installed skills: name, source, ref")
    rm = sub.add_parser("remove", help="remove an installed skill")
    rm.add_argument("name")
    up = sub.add_parser("update", help="fetch an installed skill again at its recorded ref")
    target = up.add_mutually_exclusive_group(required=True)
    target.add_argument("name", nargs="?")
    target.add_argument("--all", action="store_true", help="update every installed skill")
    info = sub.add_parser("info", help="where an installed skill came from")
    info.add_argument("name")
    args = cli.parse_args(argv)
    try:
        environ, home = cli_environment()
        sqlite_only(environ, home, "goclaw skill")
        make_private_dir(home)
        registry = RegistryFile(home / DB_FILE)
    except (GoclawError, OSError) as exc:
        return fail(COMMAND, str(exc.message if isinstance(exc, StartupError) else exc))
    try:
        return _ACTIONS[args.action](args, home / "installed", registry)
    except (InstallError, InstallSourceError, GoclawError, OSError) as exc:
        return fail(COMMAND, str(exc))
    finally:
        registry.close()


def _record(registry: RegistryFile):
    def record(provenance: Provenance) -> None:
        registry.store.skills.register_installed_skill(skill_id=provenance.name, source=provenance.source,
                       source_url=provenance.source_url, ref=provenance.ref, content_hash=provenance.content_hash)
    return record


def _install(args, installed: Path, registry: RegistryFile) -> int:
    source = parse_source(args.source, args.ref)
    install(installed, source, _record(registry), replace=args.force)
    print("installed")
    return 0


def _installed_rows(registry: RegistryFile) -> dict[str, dict]:
    return {name: row for name, row in registry.rows().items() if row.get("installed_at")}


def _list(args, installed: Path, registry: RegistryFile) -> int:
    for name, row in sorted(_installed_rows(registry).items()):
        print(f"{name}\t{row.get('source_url') or ''}\t{row.get('ref') or DEFAULT_REF}")
    return 0


def _remove(args, installed: Path, registry: RegistryFile) -> int:
    remove(installed, args.name, lambda name: bool(registry.store.skills.remove_installed_skill(skill_id=name)))
    print("removed")
    return 0


def _update(args, installed: Path, registry: RegistryFile) -> int:
    rows = _installed_rows(registry)
    names = sorted(rows) if args.all else [check_name(args.name)]
    for name in names:
        row = rows.get(name)
        if row is None:
            raise InstallError(f"skill {name} is not installed")
        source = parse_source(row["source_url"], row.get("ref") or "")
        if source.name != name:
            raise InstallError(f"skill {name}: its recorded source now names {source.name}")
        install(installed, source, _record(registry), replace=True)
        print(f"updated {name}" if args.all else "updated")
    return 0


def _info(args, installed: Path, registry: RegistryFile) -> int:
    row = _installed_rows(registry).get(args.name)
    if row is None:
        raise InstallError(f"skill {args.name} is not installed")
    print(f"name: {args.name}\nsource: {row.get('source') or ''}\nurl: {row.get('source_url') or ''}\n"
          f"ref: {row.get('ref') or DEFAULT_REF}")
    return 0


_ACTIONS = {"install": _install, "list": _list, "remove": _remove, "update": _update, "info": _info}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
