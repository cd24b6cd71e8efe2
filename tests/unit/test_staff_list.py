"""Reading a staff list as a spreadsheet saves it: columns by name, roles by code or label."""

from __future__ import annotations

from enforcement.accounts.staff import read_staff, temporary_password
from enforcement.accounts.users import password_problem


def test_a_list_saved_by_excel_reads_roles_by_label_and_lists_in_a_cell() -> None:
    # Excel's "CSV UTF-8" where the decimal mark is a comma: a byte order mark, semicolons.
    data = (
        "\ufeffE-mail address;Full name;Organization;Role;Ward codes\r\n"
        "Ann.Lee@Council.gov.uk ; Ann Lee;The Council;Licensing officer;\r\n"
        ";;;;\r\n"  # a blank row
        "bo@police.uk;Bo Tan;Police;ward_officer, SUPERVISOR;e05013733|E05013734\r\n"
    ).encode("utf-8")
    rows, problems = read_staff(data)
    assert problems == []
    assert [(r.line, r.email, r.name, r.organisation) for r in rows] == [
        (2, "ann.lee@council.gov.uk", "Ann Lee", "The Council"),
        (4, "bo@police.uk", "Bo Tan", "Police"),
    ]
    assert rows[0].roles == {"licensing_officer"} and rows[0].ward_codes == frozenset()
    assert rows[1].roles == {"ward_officer", "supervisor"}
    assert rows[1].ward_codes == {"E05013733", "E05013734"}


def test_every_row_naming_an_unknown_role_is_reported_by_its_line() -> None:
    data = b"Email,Name,Organisation,Roles\na@x.gov.uk,A,O,boss\nb@x.gov.uk,B,O,admin\nc@x.gov.uk,C,O,clerk\n"
    rows, problems = read_staff(data)
    assert [r.email for r in rows] == ["b@x.gov.uk"]
    assert [line for line, _ in problems] == [2, 4]
    assert problems[0][1].startswith("Roles: boss is not a role (the roles are Licensing officer;")


def test_a_file_that_is_not_a_staff_list_says_why() -> None:
    assert read_staff(b"Name,Address\nA,B\n")[1] == [
        (
            1,
            "The header has no Email, Organisation, Roles column: it needs "
            "('Email', 'Name', 'Organisation', 'Roles', 'Wards')",
        )
    ]
    assert read_staff(b"Email,Name,Organisation,Roles\n")[1] == [
        (1, "The list has a header and no people under it")
    ]
    assert read_staff(b"PK\x03\x04\x00\x00junk")[1][0][1].startswith("This is not a CSV file")


def test_temporary_passwords_are_new_each_time_and_pass_the_password_rules() -> None:
    made = {temporary_password() for _ in range(50)}
    assert len(made) == 50
    assert all(len(p) == 23 and password_problem(p) is None for p in made)
