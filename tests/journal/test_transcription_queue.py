"""The durable transcription queue: survives restarts, retries a bounded number of times, and a
failure leaves the ticket and its recording intact with the reason."""

from datetime import timedelta

from journal import Actor, Journal, NewTicket, TranscriptionQueue
from journal.clock import utcnow


async def _ticket_with_recording(journal: Journal) -> tuple[int, int]:
    rec = await journal.calls.add_recording(call_id=None, name="call-1", data=b"RIFF....WAVE")
    reg = await journal.tickets.register(NewTicket(channel="phone_ivr", category="water", actor=Actor.system("ivr"),
                                                   recording_ids=[rec.id], transcript_pending=True))
    return reg.ticket.id, rec.id


async def test_job_is_made_with_the_ticket_and_completes(journal: Journal) -> None:
    ticket_id, rec_id = await _ticket_with_recording(journal)
    assert (await journal.tickets.get(ticket_id)).transcript_status == "pending"
    q = journal.transcription
    [job] = await q.claim(10)
    assert (job.recording_id, job.ticket_id, job.attempt) == (rec_id, ticket_id, 1)
    assert await q.claim(10) == []  # running jobs are not handed out twice
    words = [{"word": "течёт", "start": 0.5, "end": 0.9, "conf": 0.93}]
    await q.complete(job, text="течёт кран", words=words, suggested_category="water", suggested_confidence=0.9)
    t = await journal.tickets.get(ticket_id)
    assert (t.transcript, t.transcript_status, t.suggested_category) == ("течёт кран", "done", "water")
    rec = await journal.calls.recording(rec_id)
    assert rec.transcript == "течёт кран" and "течёт" in (rec.words_json or "")
    assert await q.pending_count() == 0


async def test_retries_then_fails_keeping_ticket_and_recording(journal: Journal) -> None:
    ticket_id, rec_id = await _ticket_with_recording(journal)
    q = TranscriptionQueue(journal.db, max_attempts=2, backoff=timedelta(seconds=60))
    [job] = await q.claim(1)
    assert await q.fail(job, "model crashed") is True
    assert await q.claim(1) == []  # backing off
    [job] = await q.claim(1, now=utcnow() + timedelta(minutes=2))
    assert job.attempt == 2
    assert await q.fail(job, "model crashed again") is False
    t = await journal.tickets.get(ticket_id)
    assert (t.transcript_status, t.transcript_error, t.status) == ("failed", "model crashed again", "new")
    assert (await journal.calls.recording(rec_id)).ticket_id == ticket_id
    assert await q.claim(1, now=utcnow() + timedelta(days=1)) == []


async def test_jobs_left_running_by_a_killed_process_are_recovered(journal: Journal) -> None:
    await _ticket_with_recording(journal)
    q = journal.transcription
    assert len(await q.claim(5, worker_id="w1", lease=timedelta(seconds=30))) == 1
    # the process dies here; a new one starts: the job is still leased to the dead one...
    assert await q.recover() == 0
    assert await q.claim(5, worker_id="w2") == []
    # ...until the lease runs out.
    later = utcnow() + timedelta(seconds=31)
    assert await q.recover(later) == 1
    [job] = await q.claim(5, now=later, worker_id="w2")
    assert (job.worker_id, job.attempt) == ("w2", 2)


async def test_a_worker_started_again_under_its_name_takes_its_jobs_back_at_once(journal: Journal) -> None:
    await _ticket_with_recording(journal)
    q = journal.transcription
    [job] = await q.claim(5, worker_id="host:service:8080", lease=timedelta(seconds=60))
    # the service is killed and started again on the same host and port:
    assert await q.recover(worker_id="host:worker-1") == 0  # another worker's job stays its own
    assert await q.recover(worker_id="host:service:8080") == 1
    [again] = await q.claim(5, worker_id="host:service:8080")
    assert (again.id, again.attempt) == (job.id, 2)
    assert await q.complete(job, text="поздно") is None  # the earlier life's result is fenced off


async def test_a_lease_that_ran_out_is_taken_by_another_worker_and_written_once(journal: Journal) -> None:
    ticket_id, _ = await _ticket_with_recording(journal)
    q = journal.transcription
    [slow] = await q.claim(1, worker_id="slow", lease=timedelta(seconds=30))
    assert await q.renew([slow], lease=timedelta(seconds=30), now=utcnow() + timedelta(seconds=20)) == 1
    assert await q.claim(1, now=utcnow() + timedelta(seconds=40), worker_id="fast") == []  # renewed: still held
    [fast] = await q.claim(1, now=utcnow() + timedelta(seconds=51), worker_id="fast")
    assert await q.renew([slow]) == 0  # the slow worker learns it lost the job
    assert await q.complete(fast, text="течёт кран") is not None
    # The slow worker finishes after all: its transcript is not written (nor its failure).
    assert await q.complete(slow, text="течёт кран") is None
    assert await q.fail(slow, "late") is True
    t = await journal.tickets.get(ticket_id)
    assert (t.transcript, t.transcript_status) == ("течёт кран", "done")
    assert [h.field for h in await journal.tickets.history(ticket_id)].count("transcript") == 1


async def test_a_job_that_kills_the_service_on_every_attempt_fails_instead_of_looping(journal: Journal) -> None:
    ticket_id, _ = await _ticket_with_recording(journal)
    q = TranscriptionQueue(journal.db, max_attempts=2)
    now = utcnow()
    for attempt in (1, 2):
        [job] = await q.claim(1, now=now)
        assert job.attempt == attempt
        # the recogniser takes the process down with it (SIGKILL, segfault); it starts again
        # and finds the job once its lease has run out:
        now += timedelta(minutes=2)
        requeued = await q.recover(now)
    assert requeued == 0 and await q.claim(1, now=now) == [] and await q.pending_count() == 0
    t = await journal.tickets.get(ticket_id)
    assert t.transcript_status == "failed"
    assert t.transcript_error == "служба останавливалась во время расшифровки, попыток: 2"
    assert [h.text for h in await journal.tickets.history(ticket_id) if h.field == "transcript_status"] == [
        t.transcript_error]
