"""Partners' CSV files: every problem reported with its line number, nothing taken on any."""

from __future__ import annotations

import pytest

from enforcement.measures import Quarter
from enforcement.measures.data_share import HEADER, SubmissionRejected, parse_submission

Q = Quarter(2026, 1)
WARDS = {"E05013730", "E05013731"}
HEAD = ",".join(HEADER)


def problems(text: str | bytes) -> list[tuple[int, str]]:
    data = text.encode() if isinstance(text, str) else text
    with pytest.raises(SubmissionRejected) as refused:
        parse_submission(data, Q, WARDS)
    return [(p.line, p.message) for p in refused.value.problems]


def test_a_good_file_with_a_byte_order_mark_and_windows_line_ends() -> None:
    data = (
        "\ufeff"
        + HEAD.upper()
        + "\r\n2026-Q1,e05013730,nrm_referrals,adult,7\r\n\r\n2026-Q1,,contacts_signposted,all,0\r\n"
    ).encode()
    figures = parse_submission(data, Q, WARDS)
    assert [(f.line, f.ward_code, f.measure, f.age_group, f.count) for f in figures] == [
        (2, "E05013730", "nrm_referrals", "adult", 7),
        (4, "", "contacts_signposted", "all", 0),
    ]


def test_every_bad_line_is_reported_with_its_number() -> None:
    found = problems(
        f"{HEAD}\n"
        "2026-Q1,E05013730,nrm_referrals,adult,7\n"
        "2026-Q1,E05013730,nrm_referrals,adult\n"  # 3: a value missing
        "2026-Q2,E05099999,victims,adult,1.5\n"  # 4: quarter, ward, measure, count
        '"2026-Q1","E05013730","nrm_referrals","adult","7"\n'  # 5: the same as line 2
        "2026-Q1,,contacts_signposted,adult,3\n"  # 6: not split by age
    )
    assert [line for line, _ in found] == [3, 4, 4, 4, 4, 5, 6]
    assert "found 4" in found[0][1]
    assert "the same ward, measure and age group as line 2" in found[5][1].lower()


@pytest.mark.parametrize(
    ("header", "separator"),
    [
        ("quarter;ward_code;measure;age_group;count", ";"),  # a spreadsheet in another locale
        ("Quarter\tWard code\tMeasure\tAge group\tCount", "\t"),
        ("QUARTER,WARD-CODE,MEASURE,AGE-GROUP,COUNT", ","),
    ],
)
def test_a_header_as_a_spreadsheet_writes_it_names_the_same_columns(
    header: str, separator: str
) -> None:
    row = separator.join(["2026-Q1", "E05013730", "nrm_referrals", "adult", "7"])
    [figure] = parse_submission(f"{header}\r\n{row}\r\n".encode(), Q, WARDS)
    assert (figure.ward_code, figure.measure, figure.age_group, figure.count) == (
        "E05013730",
        "nrm_referrals",
        "adult",
        7,
    )


def test_the_header_must_be_exact() -> None:
    assert problems("quarter,ward,measure,age_group,count,name\n2026-Q1,,x,all,1\n")[0][0] == 1
    assert problems("")[0] == (1, "The file is empty")
    assert problems(f"{HEAD}\n\n")[0] == (1, "The file has no figures after its header")


def test_text_that_is_not_utf8_is_refused_at_its_line() -> None:
    data = (
        f"{HEAD}\n2026-Q1,,contacts_signposted,all,1\n".encode()
        + "2026-Q1,,premises_reported,all,caf\xe9\n".encode("latin-1")
    )
    assert problems(data)[0][0] == 3


def test_a_header_that_is_not_valid_csv_is_rejected_with_a_message() -> None:
    # A field longer than the csv module's limit fails while the header itself is read.
    found = problems('"' + "x" * 200_000 + '"\n')
    assert len(found) == 1 and found[0][1].startswith("This line is not valid CSV")
