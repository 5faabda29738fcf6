"""Between a webhook and a platform's API: the persisted inbox and outbox, retries, order.

| module | holds |
| --- | --- |
| `queue.py` | inbox and outbox rows: receive, enqueue, what is due, backoff |
| `worker.py` | the sending loop: each channel's `Sender`, retries, per-person order |
| `ordering.py` | the per-person lock (in process today; an interface Redis can back) |
| `replier.py` | "answer later": a message answered in the background, its answer queued |
"""
