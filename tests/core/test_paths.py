"""The output-folder check: refuses files and unwritable places before any work, creates nothing."""

import os
import tempfile
from pathlib import Path

import pytest

from rfdesign.core.paths import check_writable_dir


def read_only_folder(tmp_path: Path) -> Path:
    """A folder no new file can be made in: mode 0o555, or /sys where root ignores the mode."""
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        fd, probe = tempfile.mkstemp(dir=folder)
    except OSError:
        return folder
    os.close(fd)
    os.unlink(probe)  # running as root: the mode does not stop us
    if Path("/sys").is_dir():
        try:
            fd, probe = tempfile.mkstemp(dir="/sys")
        except OSError:
            return Path("/sys")
        os.close(fd)
        os.unlink(probe)
    pytest.skip("no folder on this machine refuses new files")


def test_a_new_folder_in_a_writable_place_passes_and_is_not_created(tmp_path):
    target = tmp_path / "a" / "b"
    assert check_writable_dir(target) == target
    assert not (tmp_path / "a").exists()
    assert list(tmp_path.iterdir()) == []  # the probe file is gone


def test_an_existing_folder_passes(tmp_path):
    assert check_writable_dir(tmp_path, "cache_dir") == tmp_path
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_named(tmp_path):
    f = tmp_path / "report.md"
    f.write_text("x")
    with pytest.raises(ValueError, match=r"^out: .*report.md is an existing file, not a folder$"):
        check_writable_dir(f)


def test_a_file_on_the_way_is_named(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match=r"^--out: .*file is a file, so .*file/sub cannot be"):
        check_writable_dir(f / "sub", "--out")


def test_a_read_only_place_is_named_with_the_reason(tmp_path):
    folder = read_only_folder(tmp_path)
    with pytest.raises(ValueError) as info:
        check_writable_dir(folder / "new" / "out", "--cache")
    message = str(info.value)
    assert message.startswith(f"--cache: cannot write in {folder} (to create ")
    assert "\n" not in message
    with pytest.raises(ValueError, match="cannot write in"):
        check_writable_dir(folder)
