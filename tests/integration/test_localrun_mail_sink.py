"""`make run`'s local mailbox (`python -m localrun.mail_sink`, a real process, real SMTP): the
mails hold subscribers' addresses, so var/mail is 0700 and every .eml 0600 — even under umask
0, and a folder or mail left readable by an older version is tightened when the sink starts."""

import json
import smtplib
import stat
import subprocess
import sys
import time
import urllib.request
from email.message import EmailMessage

from tests.support.processes import free_port, wait_for_port
from tests.support.services import ROOT


def mode(path) -> int:  # noqa: ANN001
    return stat.S_IMODE(path.stat().st_mode)


def test_local_mailbox_is_readable_by_its_owner_only(tmp_path) -> None:  # noqa: ANN001
    folder = tmp_path / "var" / "mail"
    folder.mkdir(parents=True, mode=0o755)
    folder.chmod(0o755)
    old = folder / "20260101-000000-old.eml"
    old.write_bytes(b"To: frueher@example.org\r\nSubject: alt\r\n\r\nalt\r\n")
    old.chmod(0o644)
    smtp_port, page_port = free_port(), free_port()
    env = {"PATH": "/usr/bin:/bin", "NPA_VAR_DIR": str(tmp_path / "var"), "NPA_SMTP_PORT": str(smtp_port),
           "NPA_MAIL_SINK_PORT": str(page_port)}
    sink = subprocess.Popen([sys.executable, "-m", "localrun.mail_sink"], cwd=ROOT, env=env, umask=0,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(smtp_port)
        wait_for_port(page_port)
        assert (mode(folder), mode(old)) == (0o700, 0o600)
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "npa@example.org", "abonnentin@example.org", "Neu"
        message.set_content("Ein neues Angebot.")
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=10) as client:
            client.send_message(message)
        deadline = time.monotonic() + 10
        while len(list(folder.glob("*.eml"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        new = [path for path in folder.glob("*.eml") if path != old]
        assert len(new) == 1 and b"abonnentin@example.org" in new[0].read_bytes()
        assert (mode(folder), mode(new[0])) == (0o700, 0o600)
        with urllib.request.urlopen(f"http://127.0.0.1:{page_port}/api/mails", timeout=10) as answer:
            listed = json.load(answer)
        assert {item["to"] for item in listed} == {"abonnentin@example.org", "frueher@example.org"}
    finally:
        sink.terminate()
        sink.wait(10)
