"""Synthetic seller data: a realistic Amazon seller's folder with claims planted in it.

``generate_seller`` writes the reports (spec §1) and ``.planted/claims.json``, the claims the
engine must find; the tests, the benchmarks and ``claimdesk demo`` all read the same files.
"""

from plugin.generator.seller import GenerationSummary, generate_seller

__all__ = ["GenerationSummary", "generate_seller"]
