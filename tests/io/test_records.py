"""The record files auditors hand in: each row with the line an editor shows, bad rows named by file:line."""

from __future__ import annotations

import pytest

from conformance.errors import ConfigError, InputError
from conformance.io.records import csv_rows, jsonl_rows, read_text


def test_jsonl_rows_skip_blank_lines_and_keep_line_numbers():
    assert list(jsonl_rows('{"a": 1}\n\n  \n{"a": 2}\n', "bank b.jsonl")) == [(1, {"a": 1}), (4, {"a": 2})]


def test_a_broken_or_deeply_nested_line_is_named_by_file_and_line():
    with pytest.raises(ConfigError, match=r"^bank b.jsonl:2: not a JSON object"):
        list(jsonl_rows('{"a": 1}\n{"a": \n', "bank b.jsonl"))
    deep = "[" * 100_000 + "]" * 100_000
    with pytest.raises(ConfigError, match=r"^responses r.jsonl:1: JSON nested too deep"):
        list(jsonl_rows(deep, "responses r.jsonl"))


def test_csv_rows_give_the_line_where_each_row_starts():
    text = 'id,response\na,"two\nlines"\nb,one\n'
    assert [(line, row["id"]) for line, row in csv_rows(text)] == [(2, "a"), (4, "b")]


def test_text_that_is_not_utf8_is_refused_in_one_line(tmp_path):
    path = tmp_path / "r.csv"
    path.write_bytes(b"id,response\n\xff\xfe,x\n")
    with pytest.raises(InputError, match="responses r.csv is not UTF-8 text"):
        read_text(path, "responses r.csv")
    path.write_bytes("\ufeffid\n".encode())
    assert read_text(path, "x") == "id\n"  # a byte-order mark is allowed
