"""The simulated processor's API keys, as a real processor has them: a secret key that Settle's server
holds for charges, refunds and look-ups, and a publishable key the browser may hold, good only for
turning a card number into a token. The publishable key is derived from the secret one, so an operator
configures one value (SETTLE_PROCESSOR_SECRET_KEY) on both sides."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass


@dataclass(frozen=True)
class ProcessorKeys:
    secret: str

    @property
    def publishable(self) -> str:
        digest = hmac.new(self.secret.encode(), b"settle simulated processor: publishable key", hashlib.sha256)
        return "pk_sim_" + digest.hexdigest()[:32]

    def is_secret(self, presented: str) -> bool:
        return hmac.compare_digest(presented.encode(), self.secret.encode())

    def may_tokenize(self, presented: str) -> bool:
        """Tokenization takes either key (the browser has the publishable one, scripts the secret one)."""
        return hmac.compare_digest(presented.encode(), self.publishable.encode()) or self.is_secret(presented)
