"""`goclaw skill install|list|remove|update|info` with local git repositories and directories (SPEC §8.5):
provenance rows, the atomic swap, and failures that leave the previous install intact."""

import sqlite3
import subprocess

import pytest

from goclaw_actors.skills.install_source import InstallSourceError, parse_source
from supervisors.commands import skill as skill_command


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main",
                    *args], cwd=repo, check=True, capture_output=True)


def make_repo(path, body="Version one.\n", name="pdf"):
    path.mkdir(parents=True)
    git(path, "init", "-q")
    write_and_commit(path, body, name)
    return path


def write_and_commit(repo, body, name="pdf", message="change"):
    (repo / "SKILL.md").write_text(f"---\nname: {name}\ndescription: test skill\n---\n{body}")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def home(tmp_path, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("GOCLAW_HOME", str(home))
    monkeypatch.chdir(tmp_path)
    return home


def run(capsys, *argv):
    status = skill_command.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def registry(home):
    with sqlite3.connect(home / "goclaw.db") as conn:
        return conn.execute("SELECT skill_id, source, source_url, ref, installed_at IS NOT NULL, state "
                            "FROM skill_registry ORDER BY skill_id").fetchall()


def test_install_from_a_local_git_repository_records_provenance(home, tmp_path, capsys):
    repo = make_repo(tmp_path / "pdf")
    (repo / "references").mkdir()
    (repo / "references" / "notes.md").write_text("notes\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "notes")
    assert run(capsys, "install", str(repo)) == (0, "installed\n", "")
    installed = home / "installed" / "local-pdf"
    assert (installed / "SKILL.md").read_text().endswith("Version one.\n")
    assert (installed / "references" / "notes.md").is_file() and not (installed / ".git").exists()
    assert registry(home) == [("local-pdf", "local", str(repo), None, 1, "active")]
    assert sorted(p.name for p in (home / "installed").iterdir()) == ["local-pdf"]  # no staging left behind
    assert run(capsys, "list") == (0, f"local-pdf\t{repo}\t(default)\n", "")
    assert run(capsys, "info", "local-pdf") == (0, f"name: local-pdf\nsource: local\nurl: {repo}\nref: (default)\n", "")


def test_an_existing_install_needs_force(home, tmp_path, capsys):
    repo = make_repo(tmp_path / "pdf")
    run(capsys, "install", str(repo))
    status, _, err = run(capsys, "install", f"file://{repo}")
    assert status == 1 and err == "goclaw skill: skill local-pdf is already installed (use --force to replace it)\n"
    write_and_commit(repo, "Version two.\n")
    assert run(capsys, "install", "--force", str(repo))[0] == 0
    assert (home / "installed" / "local-pdf" / "SKILL.md").read_text().endswith("Version two.\n")


def test_a_bad_source_leaves_the_installed_skill_intact(home, tmp_path, capsys):
    repo = make_repo(tmp_path / "pdf")
    run(capsys, "install", str(repo))
    before = registry(home)
    (repo / "SKILL.md").write_text("name: pdf\ndescription: no front matter\n")
    git(repo, "commit", "-q", "-am", "break it")
    status, _, err = run(capsys, "install", "--force", str(repo))
    assert status == 1 and err == "goclaw skill: SKILL.md has no YAML front matter (--- name: … ---)\n"
    status, _, err = run(capsys, "update", "local-pdf")
    assert status == 1 and "no YAML front matter" in err
    assert (home / "installed" / "local-pdf" / "SKILL.md").read_text().endswith("Version one.\n")
    assert registry(home) == before
    assert sorted(p.name for p in (home / "installed").iterdir()) == ["local-pdf"]
    status, _, err = run(capsys, "install", "--force", "--ref", "no-such-branch", str(repo))
    assert status == 1 and "git clone" in err and "no-such-branch" in err
    assert (home / "installed" / "local-pdf" / "SKILL.md").read_text().endswith("Version one.\n")


def test_update_fetches_the_recorded_ref_again(home, tmp_path, capsys):
    repo = make_repo(tmp_path / "pdf")
    git(repo, "checkout", "-q", "-b", "stable")
    write_and_commit(repo, "Stable one.\n")
    git(repo, "checkout", "-q", "main")
    assert run(capsys, "install", "--ref", "stable", str(repo))[0] == 0
    assert registry(home)[0][3] == "stable"
    git(repo, "checkout", "-q", "stable")
    write_and_commit(repo, "Stable two.\n")
    git(repo, "checkout", "-q", "main")
    write_and_commit(repo, "Main two.\n")
    assert run(capsys, "update", "local-pdf") == (0, "updated\n", "")
    assert (home / "installed" / "local-pdf" / "SKILL.md").read_text().endswith("Stable two.\n")
    other = make_repo(tmp_path / "docx", name="docx")
    run(capsys, "install", str(other))
    assert run(capsys, "update", "--all") == (0, "updated local-docx\nupdated local-pdf\n", "")
    assert run(capsys, "list")[1] == f"local-docx\t{other}\t(default)\nlocal-pdf\t{repo}\tstable\n"


def test_remove_deletes_the_directory_and_the_row(home, tmp_path, capsys):
    repo = make_repo(tmp_path / "pdf")
    run(capsys, "install", str(repo))
    assert run(capsys, "remove", "local-pdf") == (0, "removed\n", "")
    assert not (home / "installed" / "local-pdf").exists() and registry(home) == []
    assert run(capsys, "remove", "local-pdf") == (1, "", "goclaw skill: skill local-pdf is not installed\n")
    assert run(capsys, "info", "local-pdf")[0] == 1
    assert run(capsys, "remove", "../etc")[2] == "goclaw skill: invalid skill name '../etc': names are plain directory names\n"


def test_a_plain_directory_installs_too(home, tmp_path, capsys):
    plain = tmp_path / "notes"
    plain.mkdir()
    (plain / "SKILL.md").write_text("---\nname: notes\n---\nTake notes.\n")
    assert run(capsys, "install", str(plain))[0] == 0
    assert (home / "installed" / "local-notes" / "SKILL.md").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run(capsys, "install", str(empty)) == (1, "", "goclaw skill: no SKILL.md at the top of the skill\n")


def test_usage_errors_exit_2(home, capsys):
    with pytest.raises(SystemExit) as exited:
        skill_command.main(["frobnicate"])
    assert exited.value.code == 2


@pytest.mark.parametrize("source, expected", [
    ("https://github.com/acme/pdf", ("acme-pdf", "github", "https://github.com/acme/pdf.git", "", "")),
    ("https://github.com/acme/pdf.git", ("acme-pdf", "github", "https://github.com/acme/pdf.git", "", "")),
    ("https://github.com/acme/skills/tree/v2/tools/pdf",
     ("acme-skills", "github", "https://github.com/acme/skills.git", "v2", "tools/pdf")),
    ("git@github.com:acme/pdf.git", ("acme-pdf", "github", "git@github.com:acme/pdf.git", "", "")),
])
def test_github_sources(source, expected):
    parsed = parse_source(source)
    assert (parsed.name, parsed.kind, parsed.location, parsed.ref, parsed.subdir) == expected
    assert parse_source(source, ref="main").ref == "main"


@pytest.mark.parametrize("source, error", [
    ("https://gitlab.com/acme/pdf", "unsupported host"),
    ("https://github.com/acme", "not a repository URL"),
    ("https://github.com/acme/pdf/blob/main/x", "expected https://github.com"),
    ("https://github.com/acme/pdf/tree/main/../../etc", "invalid subdirectory"),
    ("https://github.com/../pdf", "invalid skill name"),
    ("ftp://example.org/x", "unsupported source"),
    ("/definitely/not/here", "is not a directory"),
])
def test_bad_sources(source, error):
    with pytest.raises(InstallSourceError, match=error):
        parse_source(source)
