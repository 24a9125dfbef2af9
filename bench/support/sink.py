"""An SMTP sink for benchmarks, as its own process: `python -m bench.support.sink PORT FOLDER`.

It records the accept time and the raw Subject of every mail (decoded later, not in the hot
path) in FOLDER/accepted.tsv every 0.2 s, the accept time and Message-ID in FOLDER/ids.tsv
(the fault suite counts repeats by it: it is derived from subscription and event), and keeps confirmation mails whole in FOLDER/*.eml
so the benchmark can follow their links. The accept time is when the DATA command is answered.
"""

import signal
import sys
import time
from collections import deque
from pathlib import Path

from aiosmtpd.controller import Controller


class Recorder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        # Appended by the server thread, taken by the flushing one; deque's append and popleft
        # are atomic, where swapping in a new list lost an append that had read the old one.
        self.accepted: deque[tuple[float, bytes]] = deque()
        self.ids: deque[tuple[float, bytes]] = deque()
        self.kept = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: ANN001, ANN201, N802
        content: bytes = envelope.original_content or envelope.content
        accepted_at = time.time()
        head = content.split(b"\r\n\r\n", 1)[0]
        subject = b""
        start = head.find(b"\nSubject:")
        if start >= 0:
            end = start + 1
            while True:  # the header and its folded continuation lines
                end = head.find(b"\r\n", end)
                if end < 0 or head[end + 2:end + 3] not in (b" ", b"\t"):
                    break
                end += 2
            subject = head[start + 9:end if end >= 0 else len(head)].replace(b"\r\n", b"").strip()
        self.accepted.append((accepted_at, subject))
        lined = b"\n" + head + b"\r\n"
        found = lined.find(b"\nMessage-ID:")
        if found >= 0:
            self.ids.append((accepted_at, lined[found + 12:lined.find(b"\r\n", found + 1)].strip()))
        if b"/subscriptions/confirm?token=" in content:
            self.kept += 1
            (self.folder / f"confirm-{self.kept:05d}.eml").write_bytes(content)
        return "250 Message accepted for delivery"


def flush_forever(recorder: Recorder) -> None:
    with (recorder.folder / "accepted.tsv").open("ab") as out, (recorder.folder / "ids.tsv").open("ab") as ids:
        try:
            while True:
                time.sleep(0.2)
                write(recorder, out, ids)
        finally:  # stopped: what was accepted since the last flush is written too
            write(recorder, out, ids)


def write(recorder: Recorder, out, ids) -> None:  # noqa: ANN001
    for queue, file in ((recorder.accepted, out), (recorder.ids, ids)):
        taken = [queue.popleft() for _ in range(len(queue))]  # what arrives meanwhile stays for the next
        file.write(b"".join(b"%.6f\t%s\n" % (at, text) for at, text in taken))
        file.flush()


def main() -> None:
    port, folder = int(sys.argv[1]), Path(sys.argv[2])
    folder.mkdir(parents=True, exist_ok=True)
    recorder = Recorder(folder)
    controller = Controller(recorder, hostname="127.0.0.1", port=port, data_size_limit=10_000_000)
    controller.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        flush_forever(recorder)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        controller.stop()  # no mail is accepted after this; the flush above saw all but these
        write_rest(recorder)


def write_rest(recorder: Recorder) -> None:
    with (recorder.folder / "accepted.tsv").open("ab") as out, (recorder.folder / "ids.tsv").open("ab") as ids:
        write(recorder, out, ids)


if __name__ == "__main__":
    main()
