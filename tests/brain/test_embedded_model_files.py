"""Embedded model files: joining wheel parts (real fake wheels on disk), checksum, reuse, resolution."""

import hashlib
import io
import os

import pytest

from goclaw_actors.brain.embedded import model_files
from goclaw_actors.brain.embedded.join_progress import join_progress
from goclaw_actors.brain.embedded.model_files import (QWEN_CODER, ChecksumMismatch, ModelUnavailable, PartedModel,
                                                      ensure_joined, find_parts, is_available, parted_model_available,
                                                      resolve_model_file, smollm2_path)

PART_BYTES = [b"GGUF" + bytes(range(256)) * 40, os.urandom(5000), b"tail-of-the-model"]


def install_fake_parts(site, contents, prefix="fake-part"):
    """Write one installed wheel per part (dist-info with a RECORD, data/partNN.bin) under `site`."""
    names = []
    for number, data in enumerate(contents, start=1):
        dist = f"{prefix}{number}"
        module = dist.replace("-", "_")
        data_dir = site / module / "data"
        data_dir.mkdir(parents=True)
        (data_dir / f"part{number:02d}.bin").write_bytes(data)
        (site / module / "__init__.py").write_text("")
        info = site / f"{module}-0.2.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.2.0\n")
        (info / "RECORD").write_text(f"{module}/__init__.py,,\n{module}/data/part{number:02d}.bin,,\n"
                                     f"{module}-0.2.0.dist-info/RECORD,,\n")
        names.append(dist)
    return tuple(names)


@pytest.fixture
def site(tmp_path):
    path = tmp_path / "site"
    path.mkdir()
    return path


def fake_model(site, sha256=None, contents=PART_BYTES):
    dists = install_fake_parts(site, contents)
    whole = b"".join(contents)
    return PartedModel(filename="fake.gguf", sha256=sha256 or hashlib.sha256(whole).hexdigest(),
                       size=len(whole), part_dists=dists)


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


class Recorder:
    def __init__(self):
        self.calls = []

    def __call__(self, done, total):
        self.calls.append((done, total))


def test_parts_are_found_in_order(site):
    model = fake_model(site)
    parts = find_parts(model, [str(site)])
    assert [p.name for p in parts] == ["part01.bin", "part02.bin", "part03.bin"]


def test_join_with_the_right_sha256_writes_the_model(site, tmp_path):
    model = fake_model(site)
    models = tmp_path / "home" / "models"
    progress = Recorder()
    path = ensure_joined(model, models, [str(site)], progress=progress)
    assert path == models / "fake.gguf"
    assert path.read_bytes() == b"".join(PART_BYTES)
    assert leftovers(models) == []
    assert progress.calls[-1] == (model.size, model.size)
    assert parted_model_available(model, models, [str(site)])


def test_wrong_sha256_deletes_the_file_and_marks_the_model_unavailable(site, tmp_path):
    model = fake_model(site, sha256="0" * 64)
    models = tmp_path / "models"
    assert parted_model_available(model, models, [str(site)])  # not tried yet: the parts are there
    with pytest.raises(ChecksumMismatch, match="does not match"):
        ensure_joined(model, models, [str(site)], progress=Recorder())
    assert not (models / "fake.gguf").exists()
    assert leftovers(models) == []
    assert (models / "fake.gguf.rejected").is_file()
    assert not parted_model_available(model, models, [str(site)])
    progress = Recorder()
    with pytest.raises(ModelUnavailable, match="failed the sha256 check"):
        ensure_joined(model, models, [str(site)], progress=progress)
    assert progress.calls == []  # not joined again


def test_reinstalled_parts_lift_the_rejection(site, tmp_path):
    good = fake_model(site)
    bad = PartedModel(good.filename, "f" * 64, good.size, good.part_dists)
    models = tmp_path / "models"
    with pytest.raises(ChecksumMismatch):
        ensure_joined(bad, models, [str(site)], progress=Recorder())
    assert not parted_model_available(good, models, [str(site)])
    part = find_parts(good, [str(site)])[1]
    os.utime(part, ns=(part.stat().st_atime_ns, part.stat().st_mtime_ns + 10**9))  # as a reinstall would
    assert parted_model_available(good, models, [str(site)])
    assert ensure_joined(good, models, [str(site)], progress=Recorder()).read_bytes() == b"".join(PART_BYTES)
    assert not (models / "fake.gguf.rejected").exists()


def test_joined_file_is_reused_after_a_size_check(site, tmp_path):
    model = fake_model(site)
    models = tmp_path / "models"
    ensure_joined(model, models, [str(site)], progress=Recorder())
    empty_site = tmp_path / "nothing-installed"
    empty_site.mkdir()
    progress = Recorder()
    assert ensure_joined(model, models, [str(empty_site)], progress=progress) == models / "fake.gguf"
    assert progress.calls == []
    assert parted_model_available(model, models, [str(empty_site)])


def test_a_joined_file_of_the_wrong_size_is_joined_again(site, tmp_path):
    model = fake_model(site)
    models = tmp_path / "models"
    models.mkdir()
    (models / "fake.gguf").write_bytes(b"truncated")
    progress = Recorder()
    path = ensure_joined(model, models, [str(site)], progress=progress)
    assert path.read_bytes() == b"".join(PART_BYTES)
    assert progress.calls


def test_a_missing_part_makes_the_model_unavailable(site, tmp_path):
    model = fake_model(site)
    missing = PartedModel(model.filename, model.sha256, model.size, model.part_dists + ("fake-part4",))
    assert not parted_model_available(missing, tmp_path / "models", [str(site)])
    with pytest.raises(ModelUnavailable, match="fake-part4 is not installed"):
        ensure_joined(missing, tmp_path / "models", [str(site)])


def test_default_model_is_reused_from_home_after_a_size_check(tmp_path):
    models = tmp_path / "models"
    models.mkdir()
    with open(models / QWEN_CODER.filename, "wb") as sparse:
        sparse.truncate(QWEN_CODER.size)
    assert is_available(None, tmp_path)
    assert is_available("qwen2.5-coder-1.5b", tmp_path)
    assert resolve_model_file("", tmp_path) == models / QWEN_CODER.filename


def test_smollm2_and_models_dir_names_but_never_paths(tmp_path):
    gguf = smollm2_path()
    assert gguf.name.endswith(".gguf") and gguf.is_file()
    assert resolve_model_file("smollm2", tmp_path) == gguf
    assert is_available("smollm2", tmp_path)
    models = tmp_path / "models"
    models.mkdir()
    (models / "mine.gguf").symlink_to(gguf)  # the operator's own model, by name
    assert resolve_model_file("mine.gguf", tmp_path) == models / "mine.gguf"
    assert is_available("mine.gguf", tmp_path)
    assert not is_available("absent.gguf", tmp_path)
    with pytest.raises(ModelUnavailable, match="not found"):
        resolve_model_file("absent.gguf", tmp_path)
    for path in (str(gguf), str(models / "mine.gguf"), "../models/mine.gguf", "/etc/passwd", "~/x.gguf"):
        assert not is_available(path, tmp_path)
        with pytest.raises(ModelUnavailable, match="not a path"):
            resolve_model_file(path, tmp_path)


def test_default_model_without_parts_or_file_is_unavailable(tmp_path):
    # The test environment never installs the big parts: look them up in an empty site.
    empty = tmp_path / "empty-site"
    empty.mkdir()
    assert not parted_model_available(QWEN_CODER, model_files.models_dir(tmp_path), [str(empty)])


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_a_bar_on_a_terminal():
    stream = FakeTerminal()
    progress = join_progress("fake.gguf", stream)
    for done in range(0, 101, 10):
        progress(done * 2**20, 100 * 2**20)
    text = stream.getvalue()
    assert "\rjoining fake.gguf [" in text and text.endswith("100% 100/100 MiB\n")


def test_progress_without_a_terminal_writes_nothing_to_the_stream():
    stream = io.StringIO()
    progress = join_progress("fake.gguf", stream)
    progress(50, 100)
    progress(100, 100)
    assert stream.getvalue() == ""
