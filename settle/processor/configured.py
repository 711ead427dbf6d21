"""The processor Settle is configured to use: one served elsewhere (SETTLE_PROCESSOR_URL), or the
built-in simulated one in this process, with its own database."""

from __future__ import annotations

from settle.clock import Clock
from settle.config import Settings
from settle.processor.client import HttpProcessor
from settle.processor.simulated import SimulatedProcessor


def build_processor(settings: Settings, clock: Clock) -> HttpProcessor | SimulatedProcessor:
    """Either one is a Processor and a Tokenizer (see interface.py)."""
    if settings.processor_url:
        return HttpProcessor(
            settings.processor_url, settings.processor_secret_key, timeout=settings.processor_timeout_seconds
        )
    return build_simulated(settings, clock)


def build_simulated(settings: Settings, clock: Clock) -> SimulatedProcessor:
    return SimulatedProcessor(settings.processor_ledger_url, clock, challenge_base_url=f"{settings.base_url}/processor")
