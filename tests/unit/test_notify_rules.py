"""Notification rules without a database: lead times, which lead is due, back-off, mail bodies."""

from __future__ import annotations

import email
import email.policy
import smtplib
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from html import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from config import ConfigError, Settings
from enforcement.clock import end_of_london_day, to_london, when_text
from enforcement.reminders.notify import (
    DEFAULT_LEADS,
    Lead,
    LeadError,
    MailFacts,
    NotifyConfig,
    due_phrase,
    is_urgent,
    lead_rules,
    next_digest_at,
    not_acted,
    parse_leads,
    plan_leads,
    render_digest,
    render_escalation,
    render_reminder,
    retry_delay,
    team_noun,
)
from enforcement.reminders.outbox import Claimed, MailError, _classify, build_message
from enforcement.reminders.routing import TEAM_ROLES
from enforcement.reminders.vocab import ReminderKind

NOW = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
CONFIG = NotifyConfig(base_url="https://tracker.example.gov.uk", mail_from="T <r@t.example>")


def leads(*labels: str) -> tuple[Lead, ...]:
    return parse_leads(labels)


def test_the_issue_lead_times_are_the_defaults() -> None:
    assert DEFAULT_LEADS[ReminderKind.HEARING] == ("now", "12h")
    assert DEFAULT_LEADS[ReminderKind.LICENCE_EXPIRY] == ("60d", "14d")
    assert DEFAULT_LEADS[ReminderKind.FOLLOW_UP_VISIT] == ("2d", "on_day")


@pytest.mark.parametrize("label", ["", "12", "h12", "1w", "now ", "on-day", "12345d", "-2d"])
def test_malformed_lead_times_are_refused(label: str) -> None:
    with pytest.raises(LeadError):
        Lead(label)


def test_a_kind_needs_distinct_leads() -> None:
    with pytest.raises(LeadError):
        parse_leads(["2d", "2d"])
    with pytest.raises(LeadError):
        parse_leads([])


def test_a_kinds_leads_must_fit_where_each_reminder_keeps_them() -> None:
    """Each reminder keeps its kind's leads in a 120-character column: a longer list stored on
    PostgreSQL failed the reminders step for every reminder at every tick."""
    from enforcement.models.reminders import Reminder
    from enforcement.reminders.notify import LEADS_MAX_CHARS

    assert Reminder.__table__.c.leads.type.length == LEADS_MAX_CHARS == 120  # type: ignore[attr-defined]
    many = [f"{n}m" for n in range(1, 60)]
    assert len(",".join(many)) > 120
    with pytest.raises(LeadError, match="120 characters"):
        lead_rules([(ReminderKind.HEARING, many)])
    fits = [f"{n}h" for n in range(1, 30)]
    assert len(",".join(fits)) <= 120 and lead_rules([(ReminderKind.HEARING, fits)])


def test_configured_leads_override_the_defaults_and_are_checked() -> None:
    rules = lead_rules([(ReminderKind.HEARING, ["now", "24h", "1h"])])
    assert rules[ReminderKind.HEARING] == ("now", "24h", "1h")
    assert rules[ReminderKind.LICENCE_EXPIRY] == ("60d", "14d")
    with pytest.raises(LeadError):
        lead_rules([(ReminderKind.HEARING, ["soon"])])


def test_a_kind_of_reminder_there_is_none_of_is_refused_naming_the_kinds() -> None:
    """A mistyped kind in REMINDER_LEADS ("hearings") would otherwise change nothing, silently."""
    with pytest.raises(LeadError, match=r"^'hearings' is not a kind of reminder: .*\bhearing\b"):
        lead_rules([("hearings", ["now"])])


def test_reminder_leads_come_from_the_environment_as_json() -> None:
    s = Settings.from_env({"REMINDER_LEADS": '{"hearing": ["now", "2h"]}'})
    assert s.reminder_leads == (("hearing", ("now", "2h")),)
    assert NotifyConfig.from_settings(s).leads_for("hearing") == ("now", "2h")
    with pytest.raises(ConfigError, match="REMINDER_LEADS"):
        Settings.from_env({"REMINDER_LEADS": '{"hearing": "now"}'})
    with pytest.raises(ConfigError, match="REMINDER_LEADS"):
        Settings.from_env({"REMINDER_LEADS": "not json"})


def test_mail_settings_come_from_the_environment() -> None:
    s = Settings.from_env(
        {
            "SMTP_HOST": "smtp.council.example",
            "SMTP_USERNAME": "tracker",
            "SMTP_PASSWORD": "pw",
            "SMTP_STARTTLS": "yes",
            "BASE_URL": "https://tracker.council.example/",
            "ESCALATE_AFTER_HOURS": "8",
        }
    )
    assert (s.smtp_host, s.smtp_port, s.smtp_starttls) == ("smtp.council.example", 587, True)
    assert s.base_url == "https://tracker.council.example" and s.escalate_after_hours == 8
    assert Settings.from_env({"SMTP_SSL": "1"}).smtp_port == 465
    with pytest.raises(ConfigError, match="BASE_URL"):
        Settings.from_env({"BASE_URL": "tracker.example"})


def test_send_times_of_each_kind_of_lead() -> None:
    created = NOW
    due = datetime(2026, 6, 10, 15, 0, tzinfo=UTC)  # 4pm in London (summer time)
    assert Lead("now").send_time(created, due) == created
    assert Lead("12h").send_time(created, due) == due - timedelta(hours=12)
    assert Lead("30m").send_time(created, due) == due - timedelta(minutes=30)
    # On the day: 8am London on the day it is due.
    assert Lead("on_day").send_time(created, due) == datetime(2026, 6, 10, 7, 0, tzinfo=UTC)
    early = datetime(2026, 6, 10, 5, 0, tzinfo=UTC)  # 6am London: before 8am, so at 6am
    assert Lead("on_day").send_time(created, early) == early


@pytest.mark.parametrize("lead", ["60d", "14d", "12h", "30m", "on_day"])
@pytest.mark.parametrize(
    "due", [datetime(1, 2, 15, tzinfo=UTC), datetime(1, 1, 1, 0, 0, 30, tzinfo=UTC)]
)
def test_a_lead_before_the_first_date_a_date_holds_is_due_when_the_reminder_is_made(
    lead: str, due: datetime
) -> None:
    """Whatever date a stored record carries: a lead time that would fall before year 1 (an
    expiry in February of year 1, stored before date fields took only years from 1900) used to
    raise OverflowError and stop the reminders step for everyone at every tick."""
    assert Lead(lead).send_time(NOW, due) <= NOW


def test_days_before_go_at_8am_london_across_a_clock_change() -> None:
    due = datetime(2026, 4, 10, 8, 0, tzinfo=UTC)  # 9am BST
    sent = Lead("14d").send_time(NOW, due)  # 27 March: 8am GMT
    assert sent == datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
    # The clocks go forward on 29 March 2026: two days before 30 March is the 28th, in GMT.
    assert Lead("2d").send_time(NOW, end_of_london_day(date(2026, 3, 30))) == datetime(
        2026, 3, 28, 8, 0, tzinfo=UTC
    )
    # They go back on 25 October 2026: two days before 26 October is the 24th, in BST.
    assert Lead("2d").send_time(NOW, end_of_london_day(date(2026, 10, 26))) == datetime(
        2026, 10, 24, 7, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("due_day", "two_days_before"),
    [
        # GMT: a follow-up due by the end of 15 December is mailed at 8am on the 13th, not at
        # 23:59:59 on the 13th (what "the same time two days before" made of "the end of").
        (date(2026, 12, 15), datetime(2026, 12, 13, 8, 0, tzinfo=UTC)),
        # BST: 8am London is 7am UTC.
        (date(2026, 6, 10), datetime(2026, 6, 8, 7, 0, tzinfo=UTC)),
    ],
)
def test_days_before_a_deadline_at_the_end_of_a_day_go_at_8am_london_on_that_day(
    due_day: date, two_days_before: datetime
) -> None:
    due = end_of_london_day(due_day)
    sent = Lead("2d").send_time(NOW, due)
    assert sent == two_days_before
    assert to_london(sent).hour == 8 and to_london(sent).date() == due_day - timedelta(days=2)
    assert Lead("on_day").send_time(NOW, due) == two_days_before + timedelta(days=2)
    assert when_text(sent).endswith("at 8:00am " + ("GMT" if due_day.month == 12 else "BST"))


def test_each_lead_is_due_only_from_its_time() -> None:
    due = NOW + timedelta(days=2)
    hearing = leads("now", "12h")
    first = plan_leads(hearing, created_at=NOW, due_at=due, now=NOW)
    assert first.send == Lead("now") and first.next_at == due - timedelta(hours=12)
    between = plan_leads(
        hearing, created_at=NOW, due_at=due, now=due - timedelta(hours=13), done={"now"}
    )
    assert between.send is None and between.next_at == due - timedelta(hours=12)
    second = plan_leads(
        hearing, created_at=NOW, due_at=due, now=due - timedelta(hours=12), done={"now"}
    )
    assert second.send == Lead("12h") and second.next_at is None
    after = plan_leads(hearing, created_at=NOW, due_at=due, now=due, done={"now", "12h"})
    assert after.send is None and after.next_at is None


def test_leads_that_fell_due_together_make_one_mail_for_the_latest() -> None:
    due = NOW + timedelta(days=5)
    late = plan_leads(leads("60d", "14d"), created_at=NOW, due_at=due, now=NOW)
    assert late.send == Lead("14d") and late.superseded == (Lead("60d"),)
    assert late.next_at is None


def test_a_snooze_holds_every_lead_until_it_ends() -> None:
    due = NOW + timedelta(days=3)
    until = NOW + timedelta(days=2)
    held = plan_leads(
        leads("2d", "on_day"),
        created_at=NOW,
        due_at=due,
        now=NOW + timedelta(days=1, hours=2),
        snoozed_until=until,
    )
    assert held.send is None and held.next_at == until
    ended = plan_leads(
        leads("2d", "on_day"), created_at=NOW, due_at=due, now=until, snoozed_until=until
    )
    assert ended.send == Lead("2d")


@settings(deadline=None, max_examples=200)
@given(
    labels=st.lists(
        st.sampled_from(["now", "on_day", "1h", "12h", "2d", "14d", "60d", "30m"]),
        min_size=1,
        max_size=5,
        unique=True,
    ),
    due_hours=st.integers(min_value=-48, max_value=24 * 90),
    steps=st.lists(st.integers(min_value=0, max_value=24 * 100), min_size=1, max_size=12),
)
def test_ticking_at_any_times_mails_each_lead_at_most_once_and_never_early(
    labels: list[str], due_hours: int, steps: list[int]
) -> None:
    plan = parse_leads(labels)
    due = NOW + timedelta(hours=due_hours)
    done: set[str] = set()
    mailed: list[str] = []
    for hours in sorted(steps):
        at = NOW + timedelta(hours=hours)
        result = plan_leads(plan, created_at=NOW, due_at=due, now=at, done=done)
        for lead in (*result.superseded, *([result.send] if result.send else [])):
            assert lead.send_time(NOW, due) <= at  # never before its time
            assert lead.label not in done  # never twice
            done.add(lead.label)
        if result.send:
            mailed.append(result.send.label)
        assert result.next_at is None or result.next_at > at
    # Once every lead's time has passed, every lead has been dealt with.
    last = NOW + timedelta(hours=max(steps))
    if all(lead.send_time(NOW, due) <= last for lead in plan):
        assert done == {lead.label for lead in plan}


def test_back_off_doubles_up_to_a_cap() -> None:
    base, cap = timedelta(seconds=60), timedelta(hours=6)
    assert [retry_delay(n, base, cap).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert retry_delay(50, base, cap) == cap


def test_urgent_kinds_never_wait_for_a_digest() -> None:
    assert is_urgent(ReminderKind.HEARING, False) and is_urgent(ReminderKind.FOLLOW_UP_VISIT, True)
    assert not is_urgent(ReminderKind.FOLLOW_UP_INSPECTION, False)


def test_due_phrases_in_london_time() -> None:
    assert due_phrase(NOW - timedelta(minutes=1), NOW) == "overdue"
    assert due_phrase(NOW + timedelta(hours=3), NOW) == "due today at 1:30pm GMT"
    assert due_phrase(NOW + timedelta(days=1), NOW) == "due tomorrow at 10:30am GMT"
    assert due_phrase(NOW + timedelta(days=14), NOW) == "due in 14 days"
    # A period that ends with a day is due by its end, not at "11:59pm".
    today, tomorrow = to_london(NOW).date(), to_london(NOW).date() + timedelta(days=1)
    assert due_phrase(end_of_london_day(today), NOW) == "due by the end of today"
    assert due_phrase(end_of_london_day(tomorrow), NOW) == "due by the end of tomorrow"
    assert when_text(end_of_london_day(date(2026, 7, 1))) == "the end of 1 July 2026"
    assert when_text(datetime(2026, 7, 1, 13, 5, tzinfo=UTC)) == "1 July 2026 at 2:05pm BST"


def test_the_next_digest_is_at_the_hour_in_london() -> None:
    summer = datetime(2026, 7, 1, 5, 0, tzinfo=UTC)  # 6am BST
    assert next_digest_at(summer, 7) == datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    assert next_digest_at(summer + timedelta(hours=2), 7) == datetime(2026, 7, 2, 6, 0, tzinfo=UTC)


FACTS = MailFacts(
    reminder_id=42,
    kind=ReminderKind.HEARING,
    title='Hearing <script>alert("x")</script> & more',
    due_at=NOW + timedelta(days=2),
    statutory=True,
    team="licensing",
)


def test_reminder_mail_says_what_is_due_links_to_the_task_and_escapes_html() -> None:
    mail = render_reminder(FACTS, "Sam O'Neil", as_team=True, now=NOW, config=CONFIG)
    assert mail.subject == f"Reminder: {FACTS.title}, due in 2 days"
    assert "https://tracker.example.gov.uk/tasks/42" in mail.text
    assert "Hearing (statutory)" in mail.text and "a member of the licensing team" in mail.text
    assert "<script>" not in mail.html and "&lt;script&gt;" in mail.html
    assert 'href="https://tracker.example.gov.uk/tasks/42"' in mail.html


def test_digest_lists_each_item_soonest_first() -> None:
    later = FACTS._replace(reminder_id=43, title="Later one", due_at=NOW + timedelta(days=9))
    digest = render_digest([later, FACTS], "Sam", now=NOW, config=CONFIG)
    assert digest.subject == "Your reminders: 2 items due"
    assert digest.text.index("/tasks/42") < digest.text.index("/tasks/43")


def test_every_html_body_escapes_a_title_with_a_script_and_the_text_body_keeps_it() -> None:
    later = FACTS._replace(reminder_id=43, due_at=NOW + timedelta(days=9))
    mails = [
        render_reminder(FACTS, "Sam", as_team=False, now=NOW, config=CONFIG),
        render_escalation(FACTS, "Sam", "Ann", "overdue", now=NOW, config=CONFIG),
        render_digest([later, FACTS], "Sam", now=NOW, config=CONFIG),
    ]
    for mail in mails:
        assert "<script>" not in mail.html
        assert "Hearing &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; more" in mail.html
        assert FACTS.title in mail.text


def test_the_text_body_of_a_reminder_is_laid_out_line_by_line() -> None:
    council = NotifyConfig(
        base_url="https://tracker.example.gov.uk", mail_from="T <r@t.example>", council_name="LBX"
    )
    facts = FACTS._replace(title="Review hearing notice")
    mail = render_reminder(facts, "Sam", as_team=True, now=NOW, config=council)
    assert mail.text == (
        "Hello Sam,\n\n"
        "Hearing (statutory): Review hearing notice\n"
        "Due: 4 March 2026 at 10:30am GMT (in 2 days)\n"
        "You are receiving this as a member of the licensing team.\n\n"
        "Open the task: https://tracker.example.gov.uk/tasks/42\n\n"
        "Open the task to go to the record, acknowledge the reminder or mark it done.\n\n"
        "Licensing and premises enforcement, LBX.\n"
        "This email says only what is due. Sign in to see the record; you will see what your "
        "access allows.\n"
        "Your email preferences: https://tracker.example.gov.uk/tasks/preferences\n"
    )


# Each kind of team, as a sentence names it: (team, ward names, "You are receiving this as ...",
# "A statutory reminder for ...", "Escalated to you: ..." on the task list).
TEAM_SENTENCES = {
    "licensing": (
        {},
        "a member of the licensing team",
        "the licensing team",
        "the licensing team has not acted on it",
    ),
    "clerks": (
        {},
        "one of the committee clerks",
        "the committee clerks",
        "the committee clerks have not acted on it",
    ),
    "intel": (
        {},
        "one of the intelligence analysts",
        "the intelligence analysts",
        "the intelligence analysts have not acted on it",
    ),
    "supervisors": (
        {},
        "one of the supervisors",
        "the supervisors",
        "the supervisors have not acted on it",
    ),
    "ward:E05013733": (
        {"E05013733": "Addison"},
        "a member of the Addison ward team",
        "the Addison ward team",
        "the Addison ward team has not acted on it",
    ),
    "ward:E05099999": (
        {},
        "a member of the ward team (E05099999)",
        "the ward team (E05099999)",
        "the ward team (E05099999) has not acted on it",
    ),
}


def test_every_role_team_has_its_sentences() -> None:
    assert {t for t in TEAM_SENTENCES if not t.startswith("ward:")} == set(TEAM_ROLES)


@pytest.mark.parametrize("team", sorted(TEAM_SENTENCES))
def test_mail_and_task_sentences_name_each_kind_of_team_in_good_english(team: str) -> None:
    """Not "as a member of the Supervisors", "for Committee clerks is not acknowledged in time"
    or "Committee clerks has not acted on it": each team reads as a sentence needs it."""
    wards, member, phrase, not_acted_text = TEAM_SENTENCES[team]
    noun = team_noun(team, wards)
    facts = FACTS._replace(title="Review hearing notice", team=team, team_noun=noun)
    reminder = render_reminder(facts, "Sam", as_team=True, now=NOW, config=CONFIG)
    assert f"You are receiving this as {member}.\n" in reminder.text
    assert f"You are receiving this as {member}.</p>" in reminder.html.replace("<br>\n", "")
    for reason, what in (
        ("unacknowledged", "has not been acknowledged in time"),
        ("overdue", "is overdue"),
    ):
        escalation = render_escalation(facts, "Boss", None, reason, now=NOW, config=CONFIG)
        assert f"\nA statutory reminder for {phrase} {what}.\n" in escalation.text
        assert f"<p>A statutory reminder for {phrase} {what}.</p>" in escalation.html
    assert not_acted(None, noun) == not_acted_text
    # A named person is named, whatever the team.
    assert not_acted("Ann Officer", noun) == "Ann Officer has not acted on it"
    named = render_escalation(facts, "Boss", "Ann Officer", "overdue", now=NOW, config=CONFIG)
    assert "A statutory reminder for Ann Officer is overdue." in named.text


def test_a_title_that_says_due_is_not_followed_by_due_again() -> None:
    tomorrow = end_of_london_day(to_london(NOW).date() + timedelta(days=1))
    visit = FACTS._replace(
        kind=ReminderKind.FOLLOW_UP_VISIT, title="Follow-up visit due", due_at=tomorrow
    )
    mail = render_reminder(visit, "Sam", as_team=False, now=NOW, config=CONFIG)
    assert mail.subject == "Reminder: Follow-up visit due by the end of tomorrow"
    assert "Due: the end of 3 March 2026 (by the end of tomorrow)\n" in mail.text
    late = render_reminder(visit, "Sam", as_team=False, now=tomorrow, config=CONFIG)
    assert late.subject == "Reminder: Follow-up visit overdue"
    digest = render_digest([visit], "Sam", now=NOW, config=CONFIG)
    assert (
        "- Follow-up welfare visit (statutory): Follow-up visit due by the end of tomorrow "
        "(the end of 3 March 2026)" in digest.text
    )
    # A title that does not say "due" is followed by when it is.
    other = render_reminder(
        FACTS._replace(title="Licence PL/1 expires"), "Sam", as_team=False, now=NOW, config=CONFIG
    )
    assert other.subject == "Reminder: Licence PL/1 expires, due in 2 days"
    for text in (mail.subject, mail.text, late.subject, digest.text, other.subject):
        assert "due, due" not in text and "due due" not in text.lower()


def test_the_digest_text_lists_one_item_a_line_with_its_link_beneath() -> None:
    later = FACTS._replace(reminder_id=43, title="Later one", due_at=NOW + timedelta(days=9))
    text = render_digest([later, FACTS], "Sam", now=NOW, config=CONFIG).text
    body = text.split("What is due:\n\n", 1)[1].split("\n\n", 1)[0]
    assert body.splitlines() == [
        f"- Hearing (statutory): {FACTS.title}, due in 2 days (4 March 2026 at 10:30am GMT)",
        "  https://tracker.example.gov.uk/tasks/42",
        "- Hearing (statutory): Later one, due in 9 days (11 March 2026 at 10:30am GMT)",
        "  https://tracker.example.gov.uk/tasks/43",
    ]


def _parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def test_built_message_has_both_bodies_a_stable_message_id_and_crlf_lines() -> None:
    body = render_reminder(FACTS, "Zoë", as_team=False, now=NOW, config=CONFIG)
    claimed = Claimed(
        7, "reminder-42-now-u3", "a@b.example", body.subject, body.text, body.html, NOW, 1
    )
    first, again = build_message(claimed, CONFIG), build_message(claimed, CONFIG)
    assert first.data == again.data  # a resend is the same message, byte for byte
    assert b"\n" not in first.data.replace(b"\r\n", b"")
    assert max(len(line) for line in first.data.split(b"\r\n")) <= 998
    msg = _parse(first.data)
    assert msg["Message-ID"] == "<reminder-42-now-u3@t.example>"
    assert str(msg["Subject"]).strip() == body.subject
    plain, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert plain is not None and html is not None
    assert "Hello Zoë" in plain.get_content()
    assert "&lt;script&gt;" in html.get_content()


def test_the_html_part_is_a_whole_document_in_english_titled_by_the_subject() -> None:
    """It was a fragment: a screen reader had no language to read it in, a client no title."""
    body = render_reminder(FACTS, "Zoë", as_team=False, now=NOW, config=CONFIG)
    claimed = Claimed(7, "k", "a@b.example", body.subject, body.text, body.html, NOW, 1)
    html = _parse(build_message(claimed, CONFIG).data).get_body(("html",))
    assert html is not None
    document = html.get_content().replace("\r\n", "\n")
    assert document.startswith('<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">')
    assert f"<title>{escape(body.subject)}</title>" in document
    assert body.html in document and document.rstrip().endswith("</body>\n</html>")


def test_a_title_cannot_inject_headers() -> None:
    claimed = Claimed(1, "k", "a@b.example", "Hi\r\nBcc: evil@x.example", "t", "<p>h</p>", NOW, 1)
    msg = _parse(build_message(claimed, CONFIG).data)
    assert msg["Bcc"] is None and "Bcc" in str(msg["Subject"])


def test_smtp_errors_are_classified() -> None:
    refused = smtplib.SMTPRecipientsRefused({"a@b": (550, b"no such user")})
    assert _classify(refused).permanent
    busy = smtplib.SMTPRecipientsRefused({"a@b": (451, b"try later")})
    assert not _classify(busy).permanent and not _classify(busy).connection
    assert _classify(ConnectionRefusedError()).connection
    assert _classify(smtplib.SMTPAuthenticationError(535, b"bad")).connection
    sender = _classify(smtplib.SMTPSenderRefused(550, b"not allowed", "r@t.example"))
    assert sender.connection and not sender.permanent  # a setting to fix, not a bad mail
    assert _classify(smtplib.SMTPDataError(554, b"spam")).permanent
    assert not _classify(smtplib.SMTPDataError(452, b"full")).permanent
    assert isinstance(_classify(smtplib.SMTPServerDisconnected()), MailError)
