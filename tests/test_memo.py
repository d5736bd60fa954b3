"""The process-local expiring memo: bounded, never past an entry's expiry."""

from __future__ import annotations

from plugin.memo import ExpiringMemo


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_lives_until_its_expiry_only() -> None:
    clock = Clock()
    memo: ExpiringMemo[str, int] = ExpiringMemo(4, clock)
    memo.put("a", 1, 5)
    assert memo.get("a") == 1
    clock.now += 4.9
    assert memo.get("a") == 1
    clock.now += 0.1
    assert memo.get("a") is None


def test_the_least_recently_used_entry_goes_first_when_full() -> None:
    memo: ExpiringMemo[str, int] = ExpiringMemo(2, Clock())
    memo.put("a", 1, 60)
    memo.put("b", 2, 60)
    assert memo.get("a") == 1  # a is now the most recent
    memo.put("c", 3, 60)
    assert (memo.get("a"), memo.get("b"), memo.get("c")) == (1, None, 3)


def test_nothing_is_kept_for_no_time_or_in_no_room() -> None:
    memo: ExpiringMemo[str, int] = ExpiringMemo(2, Clock())
    memo.put("a", 1, 0)
    assert memo.get("a") is None
    empty: ExpiringMemo[str, int] = ExpiringMemo(0, Clock())
    empty.put("a", 1, 60)
    assert empty.get("a") is None
