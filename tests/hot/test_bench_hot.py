"""``python -m bench.hot`` runs on any file with the board's columns and ends with JSON."""

from __future__ import annotations

import csv
import json

from bench import hot

from .fixtures import BUS, RUBBISH_HONGFENG, RUBBISH_QINGSONG

COLUMNS = ["留言编号", "留言用户", "留言主题", "留言时间", "留言详情", "点赞数", "反对数"]


def test_bench_prints_the_hot_issues_then_one_json_line(tmp_path, capsys):
    path = tmp_path / "messages.csv"
    pairs = [*RUBBISH_QINGSONG, RUBBISH_HONGFENG, BUS]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for i, (title, body) in enumerate(pairs):
            writer.writerow([100 + i, f"U{i}", title, f"2024-05-0{i + 1} 10:00:00", body, i, 0])

    result = hot.main(["--messages", str(path)])

    lines = capsys.readouterr().out.strip().splitlines()
    assert json.loads(lines[-1]) == result
    assert result["messages"] == 5
    assert result["clusters"] == 3
    assert result["largest"][0] == 3
    assert lines[0].startswith("1. 青松苑小区 垃圾站  |  3 messages from 3 people")


def test_bench_reads_the_layout_without_authors(tmp_path, capsys):
    """The issue's layout: 留言编号, 留言主题, 留言时间, 留言详情, 点赞数, 反对数."""
    path = tmp_path / "messages.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["留言编号", "留言主题", "留言时间", "留言详情", "点赞数", "反对数"])
        for i, (title, body) in enumerate([*RUBBISH_QINGSONG, BUS]):
            writer.writerow([200 + i, title, f"2024-05-0{i + 1} 10:00:00", body, 0, 0])

    result = hot.main(["--messages", str(path)])

    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("{")
    assert (result["messages"], result["clusters"]) == (4, 2)
