"""Header lines as the mails carry them: the cached, direct encoding of a subject is exactly what
the message's own folding writes (ADR 23), and a mail client reads the subject back as written."""

import email
import random
from email.message import EmailMessage

from services.notifications.mails.headers import MAIL_POLICY, WIRE_POLICY, encoded_headers

SUBJECTS = [
    "Neues Angebot: Deutschkurs A1 – Region Hannover",
    "New offer: Sprachcafé für Frauen – statewide (all of Lower Saxony)",
    "Geändertes Angebot: " + "Sehr langer Titel mit Ümlauten und vielen Wörtern " * 4 + "– Landkreis Osnabrück",
    "Plain ascii subject",
    "Ascii only but a rather long subject line that the policy has to fold somewhere around here, surely",
    "Gutes Beispiel: „Nähcafé“ – Göttingen  (zwei Leerzeichen)",
    " führendes Leerzeichen – Celle",
    "Neu im Bündnis: 日本語 und 👍 – Emden",
]


def through_the_message(**headers: str) -> bytes:
    message = EmailMessage(policy=WIRE_POLICY)
    for name, value in headers.items():
        message[name] = value
    return message.as_bytes().removesuffix(b"\r\n")


def test_cached_header_lines_are_the_bytes_the_message_writes():
    # Arabic and Cyrillic make base64 the shorter encoding of many subjects (the other split rule)
    pieces = ["Kurs", "–", "ä", "Ü", "ß", "Region Hannover", " ", "  ", ":", "(", ")", "„", "“", "=", "?", "_", "日",
              "دورة لغة", "Курс", "👍", "\u00a0"]
    generator = random.Random(23)
    subjects = SUBJECTS + ["".join(generator.choice(pieces) for _ in range(generator.randint(1, 40)))
                           for _ in range(600)]
    for sender in ("alerts@example.org", "Niedersachsen packt an – Benachrichtigungen <alerts@example.org>"):
        for subject in subjects:
            assert encoded_headers(From=sender, Subject=subject) == through_the_message(From=sender, Subject=subject)


def test_a_mail_client_reads_the_subject_back_as_written():
    for subject in SUBJECTS:
        parsed = email.message_from_bytes(encoded_headers(Subject=subject) + b"\r\n", policy=MAIL_POLICY)
        assert parsed["Subject"] == subject
