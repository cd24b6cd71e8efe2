"""Test builders, one module per area, each `make_x(session, **overrides)`; every name here.

Four names were once defined twice (in the welfare and referral helpers): the welfare and
referral worlds are `builders.welfare.World`/`make_world`/`PEOPLE` and
`builders.referrals.World`/`make_world`/`PEOPLE` (also `WelfareWorld`, `make_welfare_world`,
`ReferralWorld`, `make_referral_world` here), and the two `at`s are `london_at` (a London
wall-clock moment, from the referral helpers) and `utc_at` (from the measures borough).
"""

from builders.cases import BOOK, CAL, make_case
from builders.flags import flag_input, grade_c, make_flag
from builders.inspections import inspection_input, make_inspection
from builders.measures import (
    AFTER,
    ALL_GUIDANCE,
    EXPECTED,
    EXPECTED_Q4,
    PARTIAL_GUIDANCE,
    Q1,
    Q4,
    Borough,
    E,
    W,
    build,
    make_borough,
)
from builders.measures import at as utc_at
from builders.people import (
    NOW,
    ORG_KINDS,
    PASSWORD,
    SYSTEM,
    make_org,
    make_orgs,
    make_people,
    make_user,
    next_number,
)
from builders.referrals import (
    BREACH_NOTE,
    C_CONDITIONS,
    C_REPORT,
    CLERK,
    CONDITIONS,
    DPS,
    HOLDER,
    NARRATIVE,
    OBSERVATIONS,
    OFFICER,
    OTHER_OFFICER,
    P_REPORT,
    RELEASE_REASON,
    RESTRICTED,
    SUPERVISOR,
    full_draft,
)
from builders.referrals import PEOPLE as REFERRAL_PEOPLE
from builders.referrals import World as ReferralWorld
from builders.referrals import at as london_at
from builders.referrals import make_world as make_referral_world
from builders.register import (
    EAST,
    IN_EAST,
    IN_WEST,
    OUTSIDE,
    WEST,
    make_licence,
    make_premises,
    make_wards,
    square,
)
from builders.web import CSRF_RE, TEST_SECRET_FOR_APPS, csrf_token, post, sign_in
from builders.welfare import PEOPLE as WELFARE_PEOPLE
from builders.welfare import VISITED_AT, train, visit_input
from builders.welfare import World as WelfareWorld
from builders.welfare import make_world as make_welfare_world

__all__ = [
    "AFTER",
    "ALL_GUIDANCE",
    "BOOK",
    "BREACH_NOTE",
    "CAL",
    "CLERK",
    "CONDITIONS",
    "CSRF_RE",
    "C_CONDITIONS",
    "C_REPORT",
    "DPS",
    "EAST",
    "EXPECTED",
    "EXPECTED_Q4",
    "HOLDER",
    "IN_EAST",
    "IN_WEST",
    "NARRATIVE",
    "NOW",
    "OBSERVATIONS",
    "OFFICER",
    "ORG_KINDS",
    "OTHER_OFFICER",
    "OUTSIDE",
    "PARTIAL_GUIDANCE",
    "PASSWORD",
    "P_REPORT",
    "Q1",
    "Q4",
    "REFERRAL_PEOPLE",
    "RELEASE_REASON",
    "RESTRICTED",
    "SUPERVISOR",
    "SYSTEM",
    "TEST_SECRET_FOR_APPS",
    "VISITED_AT",
    "WELFARE_PEOPLE",
    "WEST",
    "Borough",
    "E",
    "ReferralWorld",
    "W",
    "WelfareWorld",
    "build",
    "csrf_token",
    "flag_input",
    "full_draft",
    "grade_c",
    "inspection_input",
    "london_at",
    "make_borough",
    "make_case",
    "make_flag",
    "make_inspection",
    "make_licence",
    "make_org",
    "make_orgs",
    "make_people",
    "make_premises",
    "make_referral_world",
    "make_user",
    "make_wards",
    "make_welfare_world",
    "next_number",
    "post",
    "sign_in",
    "square",
    "train",
    "utc_at",
    "visit_input",
]
