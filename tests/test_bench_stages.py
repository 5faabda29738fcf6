"""bench/stages.py reads the gateway's stage histograms as the gateway writes them: the run's
share only (a scrape before subtracted), and the bucket that holds 95 % of a stage."""

from __future__ import annotations

import math

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from bench import stages


def _histogram() -> tuple[CollectorRegistry, Histogram]:
    registry = CollectorRegistry()
    latency = Histogram(
        "assistant_stage_seconds",
        "Time spent per stage",
        ["stage"],
        buckets=(0.01, 0.1, 1.0),
        registry=registry,
    )
    return registry, latency


def test_a_run_is_what_the_second_scrape_adds_to_the_first():
    registry, latency = _histogram()
    for _ in range(50):
        latency.labels("rasa").observe(2.0)  # warm-up, slow: must not count
    before = stages.parse(generate_latest(registry).decode())
    for _ in range(96):
        latency.labels("rasa").observe(0.05)
    for _ in range(4):
        latency.labels("rasa").observe(0.5)
    latency.labels("send").observe(0.005)
    run = stages.parse(generate_latest(registry).decode()).since(before)
    (rasa, count, mean, bound), send = run.rows()
    assert (rasa, count, round(mean, 6), bound) == ("rasa", 100, 68.0, 100.0)
    assert send[0] == "send" and send[1] == 1
    assert "| rasa | 100 | 68 | 100 |" in stages.table(run)


def test_a_stage_whose_tail_is_past_every_bucket_says_so():
    registry, latency = _histogram()
    for _ in range(10):
        latency.labels("gateway").observe(5.0)
    parsed = stages.parse(generate_latest(registry).decode())
    assert parsed.p95_bound("gateway") == math.inf
