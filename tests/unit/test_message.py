"""message.parse and model_text on hand-built messages: each test names one behaviour."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from tests.conftest import MAIL_FIXTURES, mail_bytes
from triage import message

build = mail_bytes


def test_rfc2047_sender_name_and_subject_are_decoded() -> None:
    raw = (
        b"From: =?utf-8?q?Ren=C3=A9e_M=C3=BCller?= <renee@kienbaum.example>\r\n"
        b"To: dana@example.com\r\nSubject: =?iso-8859-1?q?Gesch=E4ftsf=FChrer_(m/w/d)?=\r\n"
        b"Message-ID: <x1@kienbaum.example>\r\n\r\nGuten Tag\r\n"
    )
    mail = message.parse(raw)
    assert mail.sender_name == "Renée Müller"
    assert mail.sender_address == "renee@kienbaum.example"
    assert mail.sender_domain == "kienbaum.example"
    assert mail.subject == "Geschäftsführer (m/w/d)"


def test_reply_to_and_thread_headers_are_kept() -> None:
    raw = build(
        Reply_To="Recruiter <sam@agency.example>",
        In_Reply_To="<first@agency.example>",
        References="<zero@agency.example> <first@agency.example>",
    )
    mail = message.parse(raw)
    assert mail.reply_to == "sam@agency.example"
    assert mail.in_reply_to == "<first@agency.example>"
    assert mail.references == ("<zero@agency.example>", "<first@agency.example>")
    assert mail.message_id == "<abc@example.org>"


def test_html_only_mail_becomes_readable_text_without_tags() -> None:
    mail = EmailMessage()
    mail["From"] = "ta@corp.example"
    mail["Subject"] = "Role"
    mail.set_content(
        "<html><body><p>Dear Dana,</p><table><tr><td>VP Finance</td></tr></table>"
        "<p>Best,<br>Kim</p><script>var x = 1;</script></body></html>",
        subtype="html",
    )
    parsed = message.parse(mail.as_bytes())
    assert parsed.text_from_html
    assert "Dear Dana," in parsed.text
    assert "VP Finance" in parsed.text
    assert "<p>" not in parsed.text and "<td>" not in parsed.text


def test_plain_text_is_preferred_over_html() -> None:
    mail = EmailMessage()
    mail["From"] = "a@b.example"
    mail.set_content("plain words here")
    mail.add_alternative("<p>html words here</p>", subtype="html")
    parsed = message.parse(mail.as_bytes())
    assert parsed.text.strip() == "plain words here"
    assert not parsed.text_from_html


def test_attachment_names_and_types_are_listed() -> None:
    mail = EmailMessage()
    mail["From"] = "a@b.example"
    mail.set_content("See the spec attached.")
    mail.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="Spec.pdf"
    )
    parsed = message.parse(mail.as_bytes())
    assert parsed.attachments == (message.Attachment("Spec.pdf", "application/pdf"),)
    assert "xxattachpdf" in message.model_text(parsed)


def test_control_characters_in_headers_cannot_reach_a_value() -> None:
    encoded = base64.b64encode(b"Evil\r\nBcc: all@x.example\x00").decode()
    raw = (
        f"From: =?utf-8?b?{encoded}?= <e@x.example>\r\n"
        f"Subject: =?utf-8?b?{encoded}?=\r\n\r\nbody\r\n"
    ).encode()
    mail = message.parse(raw)
    for value in (mail.sender_name, mail.subject):
        assert value
        assert "\r" not in value and "\n" not in value and "\x00" not in value


def test_a_2000_character_subject_is_capped() -> None:
    mail = message.parse(build(Subject="x" * 2000))
    assert len(mail.subject) == message.MAX_HEADER_CHARS


def test_structure_that_trips_mail_parser_falls_back_to_the_standard_library() -> None:
    raw = (
        b'Content-Type: multipart/mixed; boundary="ab"\r\n\r\n--ab\r\n'
        b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--ab\r\n'
        b"Content-Type: text/plain\r\n\r\n--a\r\n\r\nhello there\r\n--ab--\r\n"
    )
    mail = message.parse(raw)
    assert isinstance(mail, message.Mail)


def test_empty_input_is_a_parse_error() -> None:
    with pytest.raises(message.MailParseError):
        message.parse(b"")


def test_undeclared_latin1_body_does_not_raise() -> None:
    raw = b"From: a@b.example\r\nSubject: caf\xe9\r\n\r\nUn caf\xe9 cr\xe8me\r\n"
    assert "caf" in message.parse(raw).text


@pytest.mark.parametrize(
    ("headers", "feature"),
    [
        ({"List_Unsubscribe": "<mailto:u@news.example>"}, "xxbulkmail"),
        ({"Precedence": "bulk"}, "xxbulkmail"),
        ({"Auto_Submitted": "auto-replied"}, "xxautoreply"),
        ({"From": "LinkedIn <messages-noreply@linkedin.com>"}, "xxnoreplysender"),
        ({"From": "Pat <pat.recruits@gmail.com>"}, "xxfreemailsender"),
        ({"In_Reply_To": "<a@b.example>"}, "xxinthread"),
        ({"Reply_To": "other@elsewhere.example"}, "xxreplytoelsewhere"),
    ],
)
def test_named_mail_features_appear_in_the_model_text(
    headers: dict[str, str], feature: str
) -> None:
    assert feature in message.model_text(message.parse(build(**headers)))


def test_plain_mail_has_no_named_features() -> None:
    text = message.model_text(message.parse(build()))
    assert "xx" not in text.replace("xxurl", "")


def test_links_are_reduced_to_their_host() -> None:
    mail = message.parse(build("Apply at https://jobs.example.com/apply?id=123&utm=abc now"))
    text = message.model_text(mail)
    assert "xxurl jobs.example.com" in text
    assert "utm=abc" not in text


def test_every_fixture_parses_with_a_message_id_and_text() -> None:
    for path in sorted(MAIL_FIXTURES.glob("*.eml")):
        mail = message.parse(path.read_bytes())
        assert mail.message_id, path.name
        assert len(mail.text) > 20, path.name
