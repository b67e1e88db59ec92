"""The emulator's data files: records read back as written; a torn end is dropped, damage
elsewhere refused (emulator/journal.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config_api.local.emulator.journal import DamagedFile, Journal, Record, encode, read

RECORDS = [Record({"n": 1}), Record({"n": 2}, b"\x00body\xff" * 100), Record({"n": 3})]


def written(path: Path) -> bytes:
    data = b"".join(encode(r) for r in RECORDS)
    path.write_bytes(data)
    return data


def test_records_read_back_as_written(tmp_path: Path) -> None:
    data = written(tmp_path / "j")
    contents = read(tmp_path / "j")
    assert contents.records == RECORDS
    assert (contents.valid_bytes, contents.torn_bytes) == (len(data), 0)


@pytest.mark.parametrize("cut", [1, 5, 13, len(encode(RECORDS[2])) - 1])
def test_a_torn_last_record_is_dropped(tmp_path: Path, cut: int) -> None:
    data = written(tmp_path / "j")
    (tmp_path / "j").write_bytes(data[:-cut])
    contents = read(tmp_path / "j")
    assert contents.records == RECORDS[:2]
    assert contents.valid_bytes + contents.torn_bytes == len(data) - cut


def test_a_zero_filled_tail_is_a_lost_write(tmp_path: Path) -> None:
    data = written(tmp_path / "j")
    (tmp_path / "j").write_bytes(data + b"\0" * 4096)
    assert read(tmp_path / "j").records == RECORDS


def test_a_last_record_failing_its_checksum_is_torn(tmp_path: Path) -> None:
    data = bytearray(written(tmp_path / "j"))
    data[-2] ^= 0xFF
    (tmp_path / "j").write_bytes(bytes(data))
    assert read(tmp_path / "j").records == RECORDS[:2]


@pytest.mark.parametrize("where", ["checksum", "magic"])
def test_damage_before_the_end_is_refused(tmp_path: Path, where: str) -> None:
    data = bytearray(written(tmp_path / "j"))
    first = len(encode(RECORDS[0]))
    data[first + (20 if where == "checksum" else 0)] ^= 0xFF  # in the second record
    (tmp_path / "j").write_bytes(bytes(data))
    with pytest.raises(DamagedFile):
        read(tmp_path / "j")


def test_journal_drops_a_torn_tail_and_appends_after_the_valid_records(tmp_path: Path) -> None:
    data = written(tmp_path / "j")
    (tmp_path / "j").write_bytes(data + encode(Record({"n": 4}))[:-3])
    contents = read(tmp_path / "j")
    journal = Journal(tmp_path / "j", contents.valid_bytes, next_seq=4)
    assert journal.append(Record({"n": 5})) == 4
    journal.sync(4)
    journal.close()
    after = read(tmp_path / "j")
    assert [r.header["n"] for r in after.records] == [1, 2, 3, 5]
    assert after.records[-1].header["seq"] == 4
    assert after.torn_bytes == 0


def test_a_restarted_journal_starts_at_its_beginning(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j", 0, next_seq=1)
    journal.append(Record({"n": 1}, b"x" * 1000))
    journal.restart(durable_up_to=1)
    journal.append(Record({"n": 2}))
    journal.close()
    assert [r.header["n"] for r in read(tmp_path / "j").records] == [2]
