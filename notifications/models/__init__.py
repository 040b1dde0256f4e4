from notifications.models.escalations import Delivery, DeliveryAttempt, Escalation
from notifications.models.heartbeat import Heartbeat
from notifications.models.policies import EscalationPolicy, EscalationStep
from notifications.models.rota import RotaOverride, Shift

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "Escalation",
    "EscalationPolicy",
    "EscalationStep",
    "Heartbeat",
    "RotaOverride",
    "Shift",
]
