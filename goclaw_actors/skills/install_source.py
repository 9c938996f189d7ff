"""Where `goclaw skill install` fetches from (SPEC §8.5): a GitHub URL (optionally `/tree/<ref>/<subdir>`),
`git@github.com:<owner>/<repo>`, a `file://` URL or a local path (git repository or plain directory).

    parse_source("https://github.com/acme/pdf/tree/v2/skills/pdf")
    # InstallSource(name="acme-pdf", kind="github", location="https://github.com/acme/pdf.git", ref="v2",
    #               subdir="skills/pdf", url="https://github.com/acme/pdf/tree/v2/skills/pdf")
"""

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_SCP = re.compile(r"^git@github\.com:(?P<owner>[^/]+)/(?P<repo>[^/]+?)(?:\.git)?/?$")


class InstallSourceError(ValueError):
    """A source `goclaw skill install` cannot use."""


@dataclass(frozen=True)
class InstallSource:
    """A parsed source: the install `name`, `kind` (`github` | `local`), what git clones or what is copied
    (`location`), the `ref` and `subdir` to take, and the `url` recorded as provenance."""

    name: str
    kind: str
    location: str
    ref: str
    subdir: str
    url: str

    @property
    def is_remote(self) -> bool:
        return self.kind == "github"


def check_name(name: str) -> str:
    """`name` if it is a plain directory name (no path separator, no `..`); raises InstallSourceError."""
    if not _SAFE_NAME.match(name) or ".." in name:
        raise InstallSourceError(f"invalid skill name {name!r}: names are plain directory names")
    return name


def _subdir(parts: list[str]) -> str:
    subdir = str(PurePosixPath(*parts)) if parts else ""
    if subdir.startswith("/") or ".." in PurePosixPath(subdir).parts:
        raise InstallSourceError(f"invalid subdirectory {subdir!r}")
    return "" if subdir == "." else subdir


def parse_source(source: str, ref: str = "", cwd: Path | None = None) -> InstallSource:
    """Parse an install source; `ref` (from --ref) wins over a ref in the URL. Raises InstallSourceError."""
    raw = source.strip()
    if not raw:
        raise InstallSourceError("no source given")
    scp = _SCP.match(raw)
    if scp:
        return _github(scp["owner"], scp["repo"], raw, ref, "", raw)
    parts = urlsplit(raw)
    if parts.scheme in ("http", "https"):
        if parts.hostname not in ("github.com", "www.github.com"):
            raise InstallSourceError(f"unsupported host {parts.hostname!r}: only github.com URLs are installed")
        segments = [unquote(s) for s in parts.path.strip("/").split("/") if s]
        if len(segments) < 2:
            raise InstallSourceError(f"not a repository URL: {raw}")
        owner, repo = segments[0], segments[1].removesuffix(".git")
        url_ref, subdir = "", ""
        if len(segments) > 2:
            if segments[2] != "tree" or len(segments) < 4:
                raise InstallSourceError(f"expected https://github.com/<owner>/<repo>[/tree/<ref>/<subdir>]: {raw}")
            url_ref, subdir = segments[3], _subdir(segments[4:])
        return _github(owner, repo, f"https://github.com/{owner}/{repo}.git", ref or url_ref, subdir, raw)
    if parts.scheme == "file":
        path = Path(unquote(parts.path))
    elif parts.scheme and len(parts.scheme) > 1:
        raise InstallSourceError(f"unsupported source {raw!r}: use a GitHub URL, git@github.com:<o>/<r>, a file:// "
                                 "URL or a local path")
    else:
        path = Path(raw).expanduser()
    path = path if path.is_absolute() else (cwd or Path.cwd()) / path
    path = Path(str(path.resolve()))
    if not path.is_dir():
        raise InstallSourceError(f"{path} is not a directory")
    return InstallSource(check_name(f"local-{path.name}"), "local", str(path), ref, "", str(path))


def _github(owner: str, repo: str, location: str, ref: str, subdir: str, url: str) -> InstallSource:
    return InstallSource(check_name(f"{owner}-{repo}"), "github", location, ref, subdir, url)
