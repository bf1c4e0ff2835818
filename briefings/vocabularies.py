"""The vocabularies' meanings: the PHIA yardstick and the Admiralty grades, in words.

Kept apart from :mod:`briefings.model` (which re-exports them) so the model stays short.
"""

from __future__ import annotations

LIKELIHOODS: dict[str, str] = {
    "remote-chance": "≤5%",
    "highly-unlikely": "10–20%",
    "unlikely": "25–35%",
    "realistic-possibility": "40–50%",
    "likely": "55–75%",
    "highly-likely": "80–90%",
    "almost-certain": "95–100%",
}
RELIABILITY: dict[str, str] = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
CREDIBILITY: dict[int, str] = {
    1: "confirmed by other sources",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "truth cannot be judged",
}
