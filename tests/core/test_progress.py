"""Log-line throttling of progress reports."""

from rfdesign.core.progress import TenthSteps


def test_lines_at_start_each_tenth_and_end_never_a_repeat():
    steps = TenthSteps()
    due = [d for d in range(0, 101) if steps.due("search", d, 100)]
    assert due == [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert not steps.due("search", 100, 100)  # the same report again
    assert steps.due("verify", 3, 5)  # a new stage starts with a line
