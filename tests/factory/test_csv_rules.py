"""Pure CSV rules: formula neutralisation is reversible, the parser cuts records at any byte."""

import pytest

from factory_svc.csvio import ExportWriter, ImportParser, neutralise, restore
from voketag.errors import InvalidArgument

CELLS = ["=1+1", "+1", "-1", "@x", "\tx", "\rx", "'=x", "''", "'", "'a", "a'", "plain", "", "=", "''=x"]


@pytest.mark.parametrize("cell", CELLS)
def test_neutralise_is_safe_and_restore_undoes_it(cell: str) -> None:
    safe = neutralise(cell)
    assert not safe or safe[0] not in "=+-@\t\r\x00"
    assert restore(safe) == cell


def test_parser_gives_the_same_rows_for_every_split() -> None:
    data = b'external_id,note\r\n"A,1","multi\nline ""q"""\r\nB,x\r\n#rows=2\r\n'
    expected = None
    for cut in range(1, len(data)):
        parser = ImportParser(max_rows=10)
        rows = parser.feed(data[:cut]) + parser.feed(data[cut:]) + parser.finish()
        got = [(row.line, row.external_id, row.metadata) for row in rows]
        expected = expected or got
        assert got == expected
    assert expected == [(2, "A,1", '{"note": "multi\\nline \\"q\\""}'), (4, "B", '{"note": "x"}')]


def test_row_limit_is_enforced_while_streaming() -> None:
    parser = ImportParser(max_rows=2)
    with pytest.raises(InvalidArgument) as refused:
        parser.feed(b"external_id\nA\nB\nC\n")
    assert refused.value.reason == "CSV_TOO_LARGE"


def test_writer_chunks_and_trailer() -> None:
    writer = ExportWriter(["colour", "token"], chunk_bytes=64)
    cells = ["1", "=x", "T", "L", "RELEASED", "t", "F"]
    chunks = [chunk for n in range(10) if (chunk := writer.add([f"id{n}", *cells], {"colour": "-red"}))]
    data = b"".join(chunks) + writer.finish()
    assert len(chunks) > 1 and data.endswith(b"#rows=10\r\n") and b",'=x," in data
    # A metadata key becomes a column of its own (neutralised like every cell); one named like an export
    # column is not repeated.
    assert data.startswith(
        b"product_id,serial,external_id,token,link,lifecycle,created_at,token_fingerprint,colour\r\n"
    )
    assert b",F,'-red\r\n" in data
