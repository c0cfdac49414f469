"""Uploads: a model and its configurations, or one zip; malicious and malformed ones refused
with a message saying what and how to fix, and nothing saved."""

from __future__ import annotations

import io
import stat
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from isms.assets.models import NetworkCheck, NetworkSnapshot
from isms.assets.network import services, uploads
from isms.core.models import JournalEntry

from .support import demo_files, demo_zip, make_zip


def _refused(tsuru, uploaded, match):  # type: ignore[no-untyped-def]
    journal = JournalEntry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.upload_snapshot(tsuru.lead, tsuru.municipality, name="x", uploaded=uploaded)
    messages = caught.value.message_dict["files"]
    assert any(match in m for m in messages), messages
    assert not NetworkSnapshot.objects.exists() and not NetworkCheck.objects.exists()
    assert JournalEntry.objects.count() == journal


def test_the_files_themselves_are_kept_and_checked(tsuru, settings):
    # when
    snapshot, check = services.upload_snapshot(
        tsuru.lead, tsuru.municipality, name="本庁舎", uploaded=demo_files()
    )
    # then
    assert snapshot.model_file == "model.yaml"
    assert snapshot.files == ["fw-core.rules", "fw-edge.conf", "model.yaml"]
    assert snapshot.folder.parent == settings.DATA_DIR / "network" / str(tsuru.municipality.pk)
    assert (snapshot.folder / "fw-edge.conf").read_bytes() == dict(demo_files())["fw-edge.conf"]
    assert check is not None and check.status == "done"
    assert JournalEntry.objects.filter(action="network.upload").count() == 1


def test_a_zip_of_the_folder_is_unpacked_without_its_folder(tsuru):
    snapshot, _check = services.upload_snapshot(
        tsuru.lead, tsuru.municipality, name="", uploaded=[("n.zip", demo_zip())]
    )
    assert snapshot.files == ["fw-core.rules", "fw-edge.conf", "model.yaml"]
    assert snapshot.name == "model.yaml"


def test_the_only_yaml_file_is_the_model(tsuru):
    files = [("net.yml" if n == "model.yaml" else n, d) for n, d in demo_files()]
    snapshot, check = services.upload_snapshot(
        tsuru.lead, tsuru.municipality, name="x", uploaded=files
    )
    assert snapshot.model_file == "net.yml" and check.status == "done"


def test_an_absolute_path_in_a_zip_is_refused(tsuru):
    _refused(tsuru, [("n.zip", make_zip([("/etc/model.yaml", b"x")]))], "absolute path")


def test_a_path_leading_out_of_the_folder_is_refused(tsuru):
    data = make_zip([("model.yaml", b"x"), ("../../evil.rules", b"x")])
    _refused(tsuru, [("n.zip", data)], "“..”")


def test_a_backslash_path_is_refused(tsuru):
    _refused(tsuru, [("n.zip", make_zip([("..\\evil.yaml", b"x")]))], "backslash")


def test_a_symbolic_link_is_refused(tsuru):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model.yaml", b"x")
        link = zipfile.ZipInfo("fw.rules")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/passwd")
    _refused(tsuru, [("n.zip", buffer.getvalue())], "symbolic link")


def test_a_zip_bomb_is_refused(tsuru):
    data = make_zip([("model.yaml", b"x"), ("big.rules", b"\0" * (5 * 1024 * 1024))])
    _refused(tsuru, [("n.zip", data)], "expands more than")


def test_too_many_files_are_refused(tsuru, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_FILES", 3)
    entries = [("model.yaml", b"x")] + [(f"f{i}.rules", b"x") for i in range(4)]
    _refused(tsuru, [("n.zip", make_zip(entries))], "more than 3 files")


def test_too_large_a_file_is_refused(tsuru, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_FILE_BYTES", 100)
    _refused(tsuru, [("model.yaml", b"x" * 101)], "larger than")


def test_a_damaged_zip_is_refused(tsuru):
    _refused(tsuru, [("n.zip", b"PK\x03\x04 not really")], "not a readable zip")


def test_an_encrypted_member_is_refused(tsuru):
    data = bytearray(make_zip([("model.yaml", b"x")]))
    # set the "encrypted" flag in the local header and the central directory
    data[6] |= 1
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 1
    _refused(tsuru, [("n.zip", bytes(data))], "encrypted")


def test_no_model_or_several_models_are_refused(tsuru):
    _refused(tsuru, [("fw.rules", b"x")], "No network model")
    _refused(tsuru, [("a.yaml", b"x"), ("b.yaml", b"x")], "Several .yaml files")
    _refused(tsuru, [], "Choose the network model")
    _refused(tsuru, [("n.zip", make_zip([]))], "holds no files")


def test_a_zip_among_other_files_is_refused(tsuru):
    _refused(tsuru, [("model.yaml", b"x"), ("n.zip", demo_zip())], "on its own")


def test_two_files_of_the_same_name_are_refused(tsuru):
    _refused(tsuru, [("model.yaml", b"x"), ("model.yaml", b"y")], "Two files")


def test_an_upload_needs_the_right(tsuru):
    with pytest.raises(PermissionDenied):
        services.upload_snapshot(tsuru.staff, tsuru.municipality, name="x", uploaded=demo_files())
    assert not NetworkSnapshot.objects.exists()


def test_a_failed_write_leaves_no_files_and_no_row(tsuru, settings, monkeypatch):
    # given: the journal fails after the files were written
    from isms.core import journal

    def broken(**kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("journal down")

    monkeypatch.setattr(journal, "record", broken)
    # when
    with pytest.raises(RuntimeError):
        services.upload_snapshot(tsuru.lead, tsuru.municipality, name="x", uploaded=demo_files())
    # then
    assert not NetworkSnapshot.objects.exists()
    root = settings.DATA_DIR / "network" / str(tsuru.municipality.pk)
    assert not root.exists() or not any(root.iterdir())
