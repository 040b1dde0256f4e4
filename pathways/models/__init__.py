from pathways.models.clocks import Clock
from pathways.models.definitions import ClockDefinition, PathwayVersion
from pathways.models.events import ClinicalEvent
from pathways.models.mdt import MdtDecision
from pathways.models.scores import ScoreRecord

__all__ = [
    "ClinicalEvent",
    "Clock",
    "ClockDefinition",
    "MdtDecision",
    "PathwayVersion",
    "ScoreRecord",
]
