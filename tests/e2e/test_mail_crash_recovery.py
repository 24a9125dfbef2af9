"""kill -9 of notifications mid fan-out (10 offers × 300 subscribers), with real processes, the
real broker and a real SMTP server (aiosmtpd): nothing is lost, repeats stay within ADR 8's
bound, and the mails the dead process had leased go out within seconds of the restart instead
of after the 120 s lease (fault suite scenario 2)."""

from bench.support.fault_scenarios import SENDER_CRASH_BOUND, Options, notifications_killed


async def test_kill_9_mid_fan_out_loses_nothing_and_resumes_within_seconds() -> None:
    row = await notifications_killed(Options(settle_seconds=3))
    print(row)
    assert row.sent == 10 and row.applied == 10
    assert row.mails_expected == 3000
    assert row.lost == 0, row
    assert row.duplicates <= SENDER_CRASH_BOUND, row
    # The dead sender's leases are taken over at the restart, not when they run out (120 s).
    assert row.recover_seconds < 30, row
