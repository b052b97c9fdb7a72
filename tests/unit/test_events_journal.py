"""The event journal: group commit, ordered reads, torn tails cut on reopen."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from shopscope.errors import InvalidInputError
from shopscope.server.events.journal import Journal, Position


def test_records_come_back_in_order_with_their_end_positions(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    ends = [journal.append(f"record {i}".encode()).result() for i in range(5)]
    journal.close()
    read = list(Journal(tmp_path).read_from(Position(1, 0)))
    assert [p for p, _ in read] == ends
    assert [b.decode() for _, b in read] == [f"record {i}" for i in range(5)]
    assert list(Journal(tmp_path).read_from(ends[2])) == read[3:]


def test_concurrent_appends_are_all_durable_once(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    results: list[Position] = []
    lock = threading.Lock()

    def writer(k: int) -> None:
        for i in range(50):
            end = journal.append(f"{k}:{i}".encode()).result()
            with lock:
                results.append(end)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    journal.close()
    payloads = [b.decode() for _, b in Journal(tmp_path).read_from(Position(1, 0))]
    assert sorted(payloads) == sorted(f"{k}:{i}" for k in range(4) for i in range(50))
    assert len(set(results)) == 200


def test_torn_tail_is_truncated_and_later_writes_are_readable(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    good = journal.append(b"whole record").result()
    journal.close()
    segment = tmp_path / "00000001.jnl"
    with segment.open("ab") as f:  # a crash in the middle of a record: header, half a payload
        f.write(b"\x20\x00\x00\x00\x00\x00\x00\x00half")
    assert [b for _, b in Journal(tmp_path).read_from(Position(1, 0))] == [b"whole record"]
    reopened = Journal(tmp_path)
    assert segment.stat().st_size == good.offset
    reopened.append(b"after the crash").result()
    reopened.close()
    payloads = [b for _, b in Journal(tmp_path).read_from(Position(1, 0))]
    assert payloads == [b"whole record", b"after the crash"]


def test_segments_roll_and_old_ones_can_be_dropped(tmp_path: Path) -> None:
    journal = Journal(tmp_path, segment_bytes=1024)
    ends = [journal.append(bytes(300)).result() for _ in range(10)]
    before = journal.segments()
    assert before == sorted({e.segment for e in ends})
    assert len(before) > 1
    dropped = journal.drop_before(ends[-1])
    assert dropped == len(before) - 1
    assert journal.segments() == [ends[-1].segment]
    assert list(journal.read_from(ends[-1])) == []
    journal.close()


def test_closed_journal_refuses_writes(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.close()
    with pytest.raises(InvalidInputError, match="closed"):
        journal.append(b"x")
