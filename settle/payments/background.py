"""The payment work the server does by itself, each round of its background thread: refunds left
pending are finished, and the day's autopay run is made once a day (across every process)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Engine

from settle.clock import Clock
from settle.config import Settings
from settle.payments.autopay import AutopayReport, run_autopay_daily
from settle.payments.autopay_model import RetrySchedule
from settle.payments.model import CardPolicy
from settle.payments.refunds import finish_pending_refunds
from settle.processor.interface import Processor


def card_policy(settings: Settings) -> CardPolicy:
    return CardPolicy(limits=settings.card_limits, refuse_prepaid=settings.refuse_prepaid_cards)


def run_payment_jobs(engine: Engine, processor: Processor, clock: Clock, settings: Settings) -> AutopayReport | None:
    """One round; returns the autopay run's report when it ran this round."""
    finish_pending_refunds(engine, processor, clock, older_than=timedelta(seconds=settings.reconcile_after_seconds))
    return run_autopay_daily(
        engine,
        processor,
        clock,
        schedule=RetrySchedule(settings.autopay_retry_days),
        policy=card_policy(settings),
        tz=settings.timezone,
    )
