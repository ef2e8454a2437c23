"""Zip archives read in place: members go through the same sniff and readers, nothing is extracted,
and zip bombs become error rows."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import pytest

from influence.readers import archive, iter_messages, read_file

EML = (
    "From: Dana Reyes <dana@vendor.example>\nTo: sam@city.example\nSubject: {subject}\n"
    "Date: Tue, 5 Mar 2024 09:13:58 -0800\n\n{body}\n"
)
MBOX = (
    "From a@x Tue Mar  5 09:13:58 2024\nFrom: a@vendor.example\nSubject: one\n\nFirst.\n\n"
    "From b@x Tue Mar  5 10:13:58 2024\nFrom: b@city.example\nSubject: two\n\nSecond.\n"
)


def make_zip(path: Path, members: dict[str, bytes | str], method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    make_zip(buf, members)  # type: ignore[arg-type]
    return buf.getvalue()


def test_members_are_sniffed_and_read_in_folder_order(tmp_path: Path) -> None:
    path = make_zip(
        tmp_path / "release.zip",
        {
            "mail/z.eml": EML.format(subject="Cameras", body="Two free cameras."),
            "mail/box.dat": MBOX,  # mbox without its extension
            "a.msg": EML.format(subject="Misnamed", body="RFC 822 named .msg."),
            "rows.csv": "id,text\nr1,first row\nr2,second row\n",
            "mail/": b"",  # a folder entry
            "__MACOSX/mail/._z.eml": b"\x00\x05\x16\x07",
            "mail/.DS_Store": b"\x00\x00\x00\x01Bud1",
        },
    )
    rows = list(iter_messages([path]))
    src = str(path)
    assert [m.id for m in rows] == [
        f"{src}!a.msg", "r1", "r2", f"{src}!mail/box.dat#1", f"{src}!mail/box.dat#2", f"{src}!mail/z.eml",
    ]  # fmt: skip
    assert all(m.error is None for m in rows)
    assert rows[0].subject == "Misnamed" and rows[1].source == f"{src}!rows.csv"
    assert rows[4].subject == "two" and rows[4].line is not None
    assert rows[5].body == "Two free cameras." and rows[5].source == f"{src}!mail/z.eml"


def test_nested_zip_and_other_formats_inside(tmp_path: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    table = io.BytesIO()
    pq.write_table(pa.table({"id": ["p1"], "text": ["Parquet row."]}), table)
    inner = zip_bytes({"deep.eml": EML.format(subject="Deep", body="Inside two archives.")})
    path = make_zip(
        tmp_path / "outer.zip",
        {
            "inner.zip": inner,
            "t.parquet": table.getvalue(),
            "j.jsonl": json.dumps({"id": "j1", "text": "JSON row."}) + "\n",
            "notes.txt": "Plain notes.",
        },
    )
    rows = list(iter_messages([path]))
    by_source = {m.source: m for m in rows}
    deep = by_source[f"{path}!inner.zip!deep.eml"]
    assert deep.subject == "Deep" and deep.body == "Inside two archives."
    assert by_source[f"{path}!t.parquet"].body == "Parquet row."
    assert by_source[f"{path}!j.jsonl"].id == "j1"
    assert by_source[f"{path}!notes.txt"].body == "Plain notes."
    assert len(rows) == 4 and all(m.error is None for m in rows)


def test_nothing_is_written_and_member_names_are_never_paths(tmp_path: Path, monkeypatch) -> None:
    work = tmp_path / "work"
    work.mkdir()
    path = make_zip(
        tmp_path / "evil.zip",
        {
            "../../escaped.eml": EML.format(subject="Traversal", body="Name climbs out."),
            "/etc/absolute.eml": EML.format(subject="Absolute", body="Rooted name."),
        },
    )
    monkeypatch.chdir(work)
    rows = list(iter_messages([path]))
    assert {m.source: m.subject for m in rows} == {
        f"{path}!../../escaped.eml": "Traversal", f"{path}!/etc/absolute.eml": "Absolute",
    }  # fmt: skip
    assert sorted(os.listdir(tmp_path)) == ["evil.zip", "work"] and os.listdir(work) == []


def test_too_many_members(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(archive, "MAX_MEMBERS", 2)
    path = make_zip(tmp_path / "many.zip", {f"{n}.txt": "x" for n in range(3)})
    rows = list(read_file(path))
    assert len(rows) == 1 and rows[0].id == str(path)
    assert "3 files, more than the limit of 2" in rows[0].error


def test_total_size_limit_counts_nested_archives(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 2000)
    inner = zip_bytes({"big.txt": "y" * 1900})  # the outer archive holds only ~150 bytes of it
    path = make_zip(tmp_path / "outer.zip", {"inner.zip": inner, "small.txt": "small"})
    rows = list(read_file(path))
    assert rows[0].source == f"{path}!inner.zip" and "would unpack to 1,900 bytes" in rows[0].error
    assert rows[1].body == "small" and rows[1].error is None
    path = make_zip(tmp_path / "huge.zip", {"a.txt": "z" * 4000})
    [row] = list(read_file(path))
    assert row.id == str(path) and "zip bomb" in row.error


def test_compression_ratio_limit(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "bomb.zip", {"zeros.txt": b"\x00" * (4 * 2**20), "ok.txt": "fine"})
    rows = list(read_file(path))
    assert rows[0].source == f"{path}!ok.txt" and rows[0].body == "fine"
    assert rows[1].source == f"{path}!zeros.txt"
    assert rows[1].error and "compressed" in rows[1].error and "limit of 200" in rows[1].error


def test_nesting_depth_limit(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(archive, "MAX_DEPTH", 2)
    level3 = zip_bytes({"c.txt": "three"})
    level2 = zip_bytes({"l3.zip": level3, "b.txt": "two"})
    path = make_zip(tmp_path / "l1.zip", {"l2.zip": level2, "a.txt": "one"})
    rows = {m.source: m for m in read_file(path)}
    assert rows[f"{path}!a.txt"].body == "one"
    assert rows[f"{path}!l2.zip!b.txt"].body == "two"
    assert "nested more than 2 deep" in rows[f"{path}!l2.zip!l3.zip"].error


def test_damaged_member_is_one_error_row(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "crc.zip", {"a.txt": "first file", "b.txt": "second file"}, zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[data.index(b"first file")] ^= 0x20  # flip a bit: the CRC no longer matches
    path.write_bytes(bytes(data))
    rows = list(read_file(path))
    assert rows[0].source == f"{path}!a.txt" and "unreadable file in zip archive" in rows[0].error
    assert "CRC" in rows[0].error
    assert rows[1].body == "second file"


def test_encrypted_member_is_refused() -> None:
    info = zipfile.ZipInfo("secret.eml")
    info.flag_bits |= 0x1
    assert "password-protected" in archive._member_refusal(info)


@pytest.mark.parametrize(
    "members, expected",
    [
        ({}, "zip archive holds no files"),
        ({"__MACOSX/._a": b"x", "folder/": b""}, "zip archive holds no files"),
        ({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w/>"}, "Office Open XML"),
        ({"mimetype": "application/vnd.oasis.opendocument.text"}, "OpenDocument"),
    ],
)
def test_archives_without_mail(tmp_path: Path, members: dict, expected: str) -> None:
    path = make_zip(tmp_path / "x.zip", members)
    [row] = list(read_file(path))
    assert row.id == str(path) and expected in row.error


def test_truncated_zip(tmp_path: Path) -> None:
    path = tmp_path / "cut.zip"
    path.write_bytes(zip_bytes({"a.txt": "x" * 100})[:40])
    [row] = list(read_file(path))
    assert row.error and row.error.startswith("unreadable zip archive")


def test_member_reads_like_a_file() -> None:
    with zipfile.ZipFile(io.BytesIO(zip_bytes({"dir/note.eml": b"0123456789"}))) as zf:
        info = zf.getinfo("dir/note.eml")
        with io.BytesIO() as spool:
            spool.write(zf.read(info))
            member = archive.Member(info.filename, spool, 10, depth=1, budget=archive.Budget())
            assert (member.name, member.suffix, member.stat().st_size) == ("note.eml", ".eml", 10)
            a, b = member.open(), member.open()
            assert a.read(4) == b"0123" and b.read(2) == b"01" and a.read() == b"456789"
            b.seek(-3, io.SEEK_END)
            assert b.read() == b"789" and member.read_bytes() == b"0123456789"
            with pytest.raises(ValueError):
                member.open("w")
