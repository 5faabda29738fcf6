"""Where a run's time went, read from the gateway's own GET /metrics (bot/observability.py):
per stage, how many, the mean, and the bucket under which 95 % fell.

Scraped twice, before and after the load, and subtracted, so warm-up and calibration are left
out. The p95 is a histogram bucket's upper bound (the buckets of `assistant_stage_seconds`),
so it reads "95 % took at most this", not an exact percentile.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families

FAMILY = "assistant_stage_seconds"


@dataclass(frozen=True)
class Stages:
    """Per stage: cumulative bucket counts by upper bound, the count and the sum of seconds."""

    buckets: dict[str, dict[float, float]]
    counts: dict[str, float]
    sums: dict[str, float]

    def since(self, before: Stages) -> Stages:
        return Stages(
            {
                stage: {le: n - before.buckets.get(stage, {}).get(le, 0.0) for le, n in b.items()}
                for stage, b in self.buckets.items()
            },
            {stage: n - before.counts.get(stage, 0.0) for stage, n in self.counts.items()},
            {stage: s - before.sums.get(stage, 0.0) for stage, s in self.sums.items()},
        )

    def p95_bound(self, stage: str) -> float:
        """The smallest bucket bound that holds 95 % of the stage's observations."""
        total = self.counts.get(stage, 0.0)
        for bound, count in sorted(self.buckets.get(stage, {}).items()):
            if total and count >= 0.95 * total:
                return bound
        return math.inf

    def rows(self) -> list[tuple[str, int, float, float]]:
        """(stage, count, mean ms, p95 bound ms) for every stage seen during the run."""
        return [
            (stage, int(n), 1000 * self.sums[stage] / n, 1000 * self.p95_bound(stage))
            for stage, n in sorted(self.counts.items())
            if n > 0
        ]


def parse(text: str) -> Stages:
    buckets: dict[str, dict[float, float]] = defaultdict(dict)
    counts: dict[str, float] = {}
    sums: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        if family.name != FAMILY:
            continue
        for sample in family.samples:
            stage = sample.labels.get("stage", "")
            if sample.name.endswith("_bucket"):
                buckets[stage][float(sample.labels["le"])] = sample.value
            elif sample.name.endswith("_count"):
                counts[stage] = sample.value
            elif sample.name.endswith("_sum"):
                sums[stage] = sample.value
    return Stages(dict(buckets), counts, sums)


async def scrape(http: httpx.AsyncClient, metrics_url: str) -> Stages:
    """The gateway's stage histograms now (this machine is answered without a token)."""
    response = await http.get(metrics_url)
    response.raise_for_status()
    return parse(response.text)


def table(stages: Stages) -> list[str]:
    lines = ["| stage | count | mean ms | p95 at most ms |", "|---|---|---|---|"]
    lines += [
        f"| {stage} | {count} | {mean:.0f} | {bound:.0f} |"
        for stage, count, mean, bound in stages.rows()
    ]
    return lines
