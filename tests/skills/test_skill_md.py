"""SKILL.md in each of its forms, and the documents that are refused (SPEC §8.1)."""

import pytest

from goclaw_actors.skills.skill_md import SkillFormatError, has_front_matter, parse_skill_md


def test_front_matter_with_the_body_as_instructions():
    doc = parse_skill_md("---\nname: pdf\ndescription: Read PDFs\nlicense: MIT\nallowed-tools: exec\n"
                         "bins: [pdftotext]\nmetadata:\n  openclaw:\n    requires:\n      env: [PDF_KEY]\n---\n"
                         "# PDF\n\nRun pdftotext.\n")
    assert (doc.name, doc.description, doc.form, doc.license, doc.allowed_tools) == (
        "pdf", "Read PDFs", "frontmatter", "MIT", "exec")
    assert doc.instructions == "# PDF\n\nRun pdftotext."
    assert doc.bins == ("pdftotext",) and doc.metadata["openclaw"]["requires"]["env"] == ["PDF_KEY"]
    assert not doc.is_script


def test_front_matter_with_a_script_is_a_script_skill():
    doc = parse_skill_md("---\nname: hello\nscript: echo hi\n---\n")
    assert doc.is_script and doc.script == "echo hi"


def test_plain_yaml_document():
    doc = parse_skill_md("name: weather\ndescription: Forecasts\nscript: curl wttr.in\n")
    assert (doc.name, doc.description, doc.script, doc.form) == ("weather", "Forecasts", "curl wttr.in", "yaml")


def test_legacy_lines_and_the_first_fenced_block():
    text = "# Old skill\nname: greet\ndescription: Says hello\n\n```sh\necho hello\n```\n\n```sh\necho other\n```\n"
    doc = parse_skill_md(text)
    assert (doc.name, doc.description, doc.script, doc.form) == ("greet", "Says hello", "echo hello", "legacy")


@pytest.mark.parametrize("text, error", [
    ("---\nname: x\nno closing line\n", "unclosed front matter"),
    ("---\ndescription: nameless\n---\nbody\n", "missing skill name"),
    ("---\nname: [unclosed\n---\n", "front matter is not valid YAML"),
    ("---\n- a list\n---\n", "front matter must hold a mapping at the top level, not list"),
    ("just some text\n", "missing skill name"),
    ("name: x\nno fence here\n", "missing script section"),
])
def test_refused_documents_say_why(text, error):
    with pytest.raises(SkillFormatError, match=error):
        parse_skill_md(text)


def test_canonical_front_matter_detection():
    assert has_front_matter("---\nname: a\n---\n")
    assert not has_front_matter("name: a\n") and not has_front_matter("---\nname: a\n")
