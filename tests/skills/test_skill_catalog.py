"""The skill catalog: precedence, symlinks, eligibility messages, instructions, matching and the status
shape (SPEC §8.1, §8.2, §4.6 step 4)."""

import os

from goclaw_actors.skills.agent_skills import AgentSkills
from goclaw_actors.skills.catalog import SkillRoot, scan_catalog, skill_roots
from goclaw_actors.skills.eligibility import current_os
from goclaw_actors.skills.instructions import MAX_INLINE_FILE, MAX_INLINE_TOTAL, load_instructions
from goclaw_actors.skills.matching import named_skills
from goclaw_actors.skills.skill_status import status_items
from tests.skills.skill_fixtures import RANDOM_WAT, write_skill


def roots(tmp_path):
    names = ("project", "user", "extra", "installed")
    return [SkillRoot(tmp_path / name, name) for name in names]


def scan(tmp_path, environ=None, legacy_mode=False, warnings=None):
    def warn(msg, **attrs):
        if warnings is not None:
            warnings.append((msg, attrs))
    return scan_catalog(roots(tmp_path), environ or {"PATH": os.environ["PATH"]}, legacy_mode, warn)


def test_precedence_is_project_user_extra_installed_by_lower_cased_directory(tmp_path):
    write_skill(tmp_path / "installed", "Pdf", "name: pdf\ndescription: installed")
    write_skill(tmp_path / "extra", "pdf", "name: pdf\ndescription: extra")
    write_skill(tmp_path / "user", "PDF", "name: pdf\ndescription: user")
    write_skill(tmp_path / "extra", "docx", "name: docx\ndescription: extra")
    write_skill(tmp_path / "installed", "docx", "name: docx\ndescription: installed")
    write_skill(tmp_path / "installed", "zip", "name: zip\ndescription: installed")
    warnings = []
    catalog = scan(tmp_path, warnings=warnings)
    assert [(s.name, s.source, s.description) for s in catalog] == [
        ("docx", "extra", "extra"), ("pdf", "user", "user"), ("zip", "installed", "installed")]
    assert sum(msg == "skill shadowed by a higher-precedence one" for msg, _ in warnings) == 3
    write_skill(tmp_path / "project", "pdf", "name: pdf\ndescription: project")
    assert scan(tmp_path).get("PDF").source == "project"


def test_symlinked_skill_directories_are_skipped_with_a_warning(tmp_path):
    real = write_skill(tmp_path / "elsewhere", "secret", "name: secret")
    (tmp_path / "user").mkdir()
    os.symlink(real, tmp_path / "user" / "secret")
    warnings = []
    assert len(scan(tmp_path, warnings=warnings)) == 0
    assert warnings == [("symlinked skill entry skipped", {"path": str(tmp_path / "user" / "secret")})]


def test_eligibility_reports_each_missing_requirement(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "present").write_text("#!/bin/sh\n")
    (bin_dir / "present").chmod(0o755)
    other_os = "plan9" if current_os() != "plan9" else "linux"
    write_skill(tmp_path / "user", "needy", f"""
name: needy
bins: [present, absent-tool]
metadata:
  openclaw:
    requires: {{bins: [also-absent], anyBins: [nope1, nope2], env: [SET_VAR, UNSET_VAR]}}
    os: [{other_os}]
""")
    write_skill(tmp_path / "user", "fine", "name: fine\nbins: [present]\nmetadata: {openclaw: {requires: {anyBins: [x, present]}}}")
    write_skill(tmp_path / "user", "script", "name: script\nscript: echo hi")
    environ = {"PATH": str(bin_dir), "SET_VAR": "1"}
    catalog = scan(tmp_path, environ)
    assert list(catalog.get("needy").problems) == [
        "missing bin: absent-tool", "missing bin: also-absent", "missing bin: one of nope1, nope2",
        "missing env: UNSET_VAR", f"unsupported os: {current_os()}"]
    assert catalog.get("fine").problems == ()
    assert catalog.get("script").kind == "legacy" and catalog.get("script").problems == ("legacy_mode disabled",)
    assert scan(tmp_path, environ, legacy_mode=True).get("script").problems == ()


def test_status_items_have_the_spec_shape_ordered_by_name(tmp_path):
    write_skill(tmp_path / "user", "zeta", "name: zeta\ndescription: Z\nmetadata: {openclaw: {requires: {env: [ZKEY]}}}")
    write_skill(tmp_path / "installed", "acme-alpha", "name: alpha\ndescription: A")
    write_skill(tmp_path / "user", "old", "name: old\nscript: echo")
    (tmp_path / "user" / "random.wat").write_text(RANDOM_WAT)
    catalog = scan(tmp_path, {"PATH": "", "ZKEY": "k"})
    rows = {"acme-alpha": {"source": "github", "source_url": "https://github.com/acme/alpha", "state": "active"},
            "random": {"state": "quarantined"}}
    granted = {"acp.read"}
    items = status_items(catalog, rows, granted.__contains__, {"ZKEY": "k"})
    assert [item["Info"]["Name"] for item in items] == ["alpha", "old", "random", "zeta"]
    assert all(set(item) == {"Info", "Configured", "Enabled", "Eligible", "Missing", "State"} for item in items)
    assert all(set(item["Info"]) == {"Name", "Description", "Type", "Source", "SourceURL", "APIKeys", "Capabilities",
                                     "Domains", "SetupHint"} for item in items)
    alpha, old, random, zeta = items
    assert alpha["Info"]["Source"] == "github" and alpha["Info"]["SourceURL"] == "https://github.com/acme/alpha"
    assert (alpha["Info"]["Capabilities"], alpha["Enabled"], alpha["Eligible"]) == ([], False, True)
    assert alpha["Missing"] == ["Capability: skill.inject"]
    assert "add skill.inject to allow_capabilities in policy.yaml" in alpha["Info"]["SetupHint"]
    assert old["Info"]["Type"] == "legacy" and old["Missing"] == ["legacy_mode disabled", "Capability: legacy.run"]
    assert (random["Info"]["Type"], random["State"], random["Enabled"]) == ("wasm", "quarantined", False)
    assert zeta["Info"]["APIKeys"] == ["ZKEY"] and zeta["Configured"] is True
    granted.add("skill.inject")
    alpha = status_items(catalog, rows, granted.__contains__, {})[0]
    assert (alpha["Info"]["Capabilities"], alpha["Enabled"], alpha["Missing"]) == (["skill.inject"], True, [])


def test_instructions_load_lazily_with_referenced_files_inlined_within_caps(tmp_path):
    skill_dir = write_skill(tmp_path / "user", "tool", "name: tool",
                            "Run scripts/go.sh, read references/big.md and references/huge.txt; "
                            "ignore scripts/../../outside and assets/missing.png.\n")
    (skill_dir / "scripts").mkdir()
    (skill_dir / "scripts" / "go.sh").write_text("echo go\n")
    (skill_dir / "references").mkdir()
    (skill_dir / "references" / "big.md").write_text("b" * (MAX_INLINE_FILE + 10))
    (skill_dir / "references" / "huge.txt").write_text("h" * MAX_INLINE_FILE)
    (tmp_path / "outside").write_text("secret")
    catalog = scan(tmp_path)
    assert catalog.get("tool").doc.instructions == ""  # not kept in the catalog: read on use
    text = load_instructions(catalog.get("tool"))
    assert "## scripts/go.sh\n\n```\necho go\n```" in text
    assert f"[references/big.md truncated at {MAX_INLINE_FILE} bytes]" in text
    assert "secret" not in text and "missing.png\n" not in text
    assert len(text) < MAX_INLINE_TOTAL + 4096


def test_whole_word_matching_longest_first_then_lexical():
    names = ["pdf", "pdf-tools", "go", "abc", "abd", "git"]
    assert named_skills("use PDF-tools and abd, abc; pdf too (go)", names) == ["pdf-tools", "abc", "abd", "pdf"]
    assert named_skills("pdfs and github", names) == []


def test_agent_view_honours_skills_filter_and_caps_use_skill_per_turn(tmp_path):
    for index in range(7):
        write_skill(tmp_path / "user", f"skill{index}", f"name: skill{index}", f"Body {index}.\n")
    catalog = scan(tmp_path)
    filtered = AgentSkills(lambda: catalog, ["skill1"])
    assert [name for name, _ in filtered.matched("skill1 and skill2")] == ["skill1"]
    view = AgentSkills(lambda: catalog)
    assert view.use("turn-1", "skill0") == "# Skill: skill0\n\nBody 0."
    assert view.use("turn-1", "SKILL0") == "# Skill: skill0\n\nBody 0."  # cached: not a second skill
    for index in range(1, 5):
        view.use("turn-1", f"skill{index}")
    try:
        view.use("turn-1", "skill5")
        raise AssertionError("a sixth skill was loaded")
    except Exception as exc:
        assert str(exc) == "at most 5 skills can be loaded in one turn"
    assert view.use("turn-2", "skill5") == "# Skill: skill5\n\nBody 5."
    try:
        filtered.use("turn-3", "skill2")
        raise AssertionError("a filtered-out skill was loaded")
    except Exception as exc:
        assert str(exc) == "no skill named 'skill2'; available: skill1"


def test_skill_roots_resolve_relative_paths_against_the_working_directory(tmp_path):
    values = {"skills.project_dir": "proj", "skills.extra_dirs": ["/abs/extra", "rel"]}
    found = skill_roots(lambda key, default: values.get(key, default), tmp_path / "home", tmp_path)
    assert [(str(root.path), root.source) for root in found] == [
        (str(tmp_path / "proj"), "project"), (str(tmp_path / "home" / "skills"), "user"),
        ("/abs/extra", "extra"), (str(tmp_path / "rel"), "extra"), (str(tmp_path / "home" / "installed"), "installed")]
