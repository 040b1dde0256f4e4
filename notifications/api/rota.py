"""The rota API: a thin shell over the rota services and selectors.

Every read and write is scoped to the signed-in user's own service: another
service's shift is a 404. Inputs are strict (unknown fields, unknown codes
and times without a UTC offset are refused, naming the field).
"""

from datetime import datetime, timedelta
from typing import Any

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.fields import AwareDateTimeField, CodeField, StrictSerializer
from core.errors import DomainError
from core.permissions import RolePermission
from notifications import rota_rules, services
from notifications.codes import OnCallRole
from notifications.selectors import rota as selectors
from notifications.services.rota import rota_pattern_apply, rota_pattern_preview
from referrals.models import Service, User

# The longest period one GET /rota/ returns: a few weeks of 12-hour shifts.
MAX_WINDOW = timedelta(days=62)
DEFAULT_WINDOW = timedelta(days=7)


def _service(request: Request) -> Service:
    service = request.user.service
    if service is None:
        # Every rota role belongs to a service; a user without one sees nothing.
        raise Http404
    return service


def _user_of(service: Service, username: str) -> User:
    """A user of ``service`` by username. Other services' users are not
    looked up at all, so the answer does not reveal who exists elsewhere."""
    user = User.objects.filter(service=service, username=username).first()
    if user is None:
        raise DomainError(f"No user of your service has the username {username!r}.", field="user")
    return user


# --- Serializers -------------------------------------------------------------------


class PersonOutput(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: User) -> str:
        return user.get_full_name() or user.username


class ShiftOutput(serializers.Serializer):
    # Shifts have no public UUID yet; the integer key is what DELETE takes.
    id = serializers.IntegerField()
    role = serializers.CharField()
    user = PersonOutput()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class OverrideOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    user = PersonOutput()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    created_by = PersonOutput(allow_null=True)


class RotaWindowInput(StrictSerializer):
    """``from`` and ``to`` (``from`` is a Python keyword, hence get_fields)."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": AwareDateTimeField(
                required=False, help_text="Start of the period (default: now)."
            ),
            "to": AwareDateTimeField(
                required=False, help_text="End of the period (default: a week after from)."
            ),
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        starts = attrs.get("from") or self.context["now"]
        ends = attrs.get("to") or starts + DEFAULT_WINDOW
        if ends <= starts:
            raise serializers.ValidationError({"to": ["Must be after from."]})
        if ends - starts > MAX_WINDOW:
            raise serializers.ValidationError(
                {"to": [f"Ask for at most {MAX_WINDOW.days} days at a time."]}
            )
        return {"from": starts, "to": ends}


class RotaOutput(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.DateTimeField(),
            "to": serializers.DateTimeField(),
            "shifts": ShiftOutput(many=True),
            "overrides": OverrideOutput(many=True),
        }


class ShiftInput(StrictSerializer):
    role = CodeField(OnCallRole)
    user = serializers.CharField(max_length=150, help_text="The on-call person's username.")
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()


class OverrideInput(ShiftInput):
    reason = serializers.CharField(max_length=2000)


class AtInput(StrictSerializer):
    at = AwareDateTimeField(required=False, help_text="The instant (default: now).")


class OnCallOutput(serializers.Serializer):
    role = serializers.CharField()
    user = PersonOutput(allow_null=True)


class GapOutput(serializers.Serializer):
    role = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


# --- Views -------------------------------------------------------------------------


class RotaView(APIView):
    """The service's shifts and overrides overlapping ``[from, to)``."""

    permission_classes = [RolePermission]
    permission_action = "rota_view"

    @extend_schema(parameters=[RotaWindowInput], responses={200: RotaOutput})
    def get(self, request: Request) -> Response:
        service = _service(request)
        window = RotaWindowInput(data=request.query_params, context={"now": timezone.now()})
        window.is_valid(raise_exception=True)
        starts, ends = window.validated_data["from"], window.validated_data["to"]
        body = {
            "from": starts,
            "to": ends,
            "shifts": selectors.shifts_between(service=service, starts=starts, ends=ends),
            "overrides": selectors.overrides_between(service=service, starts=starts, ends=ends),
        }
        return Response(RotaOutput(body).data)


class ShiftCreateView(APIView):
    permission_classes = [RolePermission]
    permission_action = "rota_manage"

    @extend_schema(request=ShiftInput, responses={201: ShiftOutput})
    def post(self, request: Request) -> Response:
        service = _service(request)
        body = ShiftInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        shift = services.shift_create(
            service=service,
            role=data["role"],
            user=_user_of(service, data["user"]),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            by=request.user,
        )
        return Response(ShiftOutput(shift).data, status=status.HTTP_201_CREATED)


class ShiftDetailView(APIView):
    permission_classes = [RolePermission]
    permission_action = "rota_manage"

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, shift_id: int) -> Response:
        service = _service(request)
        shift = selectors.shift_for(service=service, shift_id=shift_id)
        if shift is None:
            raise Http404
        services.shift_delete(shift=shift, now=timezone.now(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OverrideCreateView(APIView):
    permission_classes = [RolePermission]
    permission_action = "rota_manage"

    @extend_schema(request=OverrideInput, responses={201: OverrideOutput})
    def post(self, request: Request) -> Response:
        service = _service(request)
        body = OverrideInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        override = services.override_create(
            service=service,
            role=data["role"],
            user=_user_of(service, data["user"]),
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            reason=data["reason"],
            by=request.user,
        )
        return Response(OverrideOutput(override).data, status=status.HTTP_201_CREATED)


class OnCallView(APIView):
    """Who is on call for each rota role at ``at`` (overrides applied)."""

    permission_classes = [RolePermission]
    permission_action = "rota_view"

    @extend_schema(
        parameters=[AtInput],
        responses={
            200: inline_serializer(
                "OnCallAnswer",
                {"at": serializers.DateTimeField(), "on_call": OnCallOutput(many=True)},
            )
        },
    )
    def get(self, request: Request) -> Response:
        service = _service(request)
        query = AtInput(data=request.query_params)
        query.is_valid(raise_exception=True)
        at: datetime = query.validated_data.get("at") or timezone.now()
        on_call = selectors.on_call_by_role(service=service, at=at)
        return Response(
            {
                "at": serializers.DateTimeField().to_representation(at),
                "on_call": OnCallOutput(
                    [{"role": role.value, "user": user} for role, user in on_call.items()],
                    many=True,
                ).data,
            }
        )


class GapsView(APIView):
    """The next 14 days' coverage gaps: periods with nobody on call for a role."""

    permission_classes = [RolePermission]
    permission_action = "coverage_gaps"

    @extend_schema(
        responses={
            200: inline_serializer(
                "CoverageGaps",
                {
                    "from": serializers.DateTimeField(),
                    "to": serializers.DateTimeField(),
                    "gaps": GapOutput(many=True),
                },
            )
        },
    )
    def get(self, request: Request) -> Response:
        service = _service(request)
        now = timezone.now()
        gaps = selectors.coverage_gaps(service=service, now=now)
        field = serializers.DateTimeField()
        return Response(
            {
                "from": field.to_representation(now),
                "to": field.to_representation(now + timedelta(days=selectors.GAP_DAYS)),
                "gaps": GapOutput(
                    [
                        {"role": role.value, "starts_at": start, "ends_at": end}
                        for role, periods in gaps.items()
                        for start, end in periods
                    ],
                    many=True,
                ).data,
            }
        )


# --- Weekly pattern ------------------------------------------------------------------

WEEKDAY_CODES = [name.lower() for name in rota_rules.WEEKDAYS]


class PatternShiftInput(StrictSerializer):
    weekday = serializers.ChoiceField(choices=WEEKDAY_CODES, help_text="monday ... sunday.")
    role = CodeField(OnCallRole)
    user = serializers.CharField(max_length=150, help_text="The on-call person's username.")
    start = serializers.TimeField(
        format="%H:%M", input_formats=["%H:%M"], help_text="UK wall-clock time, 24-hour HH:MM."
    )
    end = serializers.TimeField(
        format="%H:%M",
        input_formats=["%H:%M"],
        help_text="UK wall-clock time; at or before start: the next day (a night shift).",
    )


class PatternInput(StrictSerializer):
    first = serializers.DateField(help_text="First UK date, inclusive; today or later.")
    last = serializers.DateField(help_text="Last UK date, inclusive; at most 12 weeks on.")
    shifts = PatternShiftInput(many=True, allow_empty=False)
    skip_overlaps = serializers.BooleanField(
        default=False,
        help_text=(
            "False: a pattern overlapping a shift of the same role already on the rota is "
            "refused (409). True: those pattern shifts are left out; the existing ones stay."
        ),
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="True: answer what applying would do, saving nothing."
    )


class PlannedShiftOutput(serializers.Serializer):
    role = serializers.CharField()
    user = serializers.CharField(source="who.username")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class PatternOverlapOutput(serializers.Serializer):
    shift = PlannedShiftOutput()
    existing = ShiftOutput()


class PatternOutput(serializers.Serializer):
    applied = serializers.BooleanField()
    first = serializers.DateField()
    last = serializers.DateField()
    shifts = PlannedShiftOutput(many=True, help_text="Created, or to be created on a dry run.")
    left_out_started = PlannedShiftOutput(many=True)
    left_out_overlapping = PlannedShiftOutput(many=True)
    overlaps = PatternOverlapOutput(many=True, help_text="What stops the pattern (dry run).")
    existing = ShiftOutput(many=True)
    gaps = GapOutput(many=True, help_text="Nobody on call in the range, from now on, after it.")


class PatternView(APIView):
    """A weekly pattern applied over a range of UK dates, all or nothing;
    ``dry_run`` answers what it would do (shifts, overlaps, gaps left)."""

    permission_classes = [RolePermission]
    permission_action = "rota_manage"

    @extend_schema(request=PatternInput, responses={200: PatternOutput, 201: PatternOutput})
    def post(self, request: Request) -> Response:
        service = _service(request)
        body = PatternInput(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        rows = []
        users = {
            u.username: u
            for u in User.objects.filter(
                service=service, username__in=[s["user"] for s in data["shifts"]]
            )
        }
        errors: dict[str, list[str]] = {}
        for i, shift in enumerate(data["shifts"]):
            user = users.get(shift["user"])
            if user is None:
                errors[f"shifts.{i}.user"] = [
                    f"No user of your service has the username {shift['user']!r}."
                ]
                continue
            rows.append(
                rota_rules.PatternRow(
                    weekday=WEEKDAY_CODES.index(shift["weekday"]),
                    role=shift["role"],
                    who=user,
                    start=shift["start"],
                    end=shift["end"],
                )
            )
        if errors:
            raise DomainError(errors=errors)
        arguments: dict[str, Any] = {
            "service": service,
            "rows": rows,
            "first": data["first"],
            "last": data["last"],
            "now": timezone.now(),
            "skip_clashes": data["skip_overlaps"],
            "by": request.user,
        }
        write = rota_pattern_preview if data["dry_run"] else rota_pattern_apply
        try:
            plan = write(**arguments)
        except DomainError as exc:
            # The services name the pattern's rows ``rows.<i>.<field>``; here they are
            # the body's ``shifts``.
            if not any(name.split(".")[0] == "rows" for name in exc.errors):
                raise
            renamed = {
                ("shifts" + name[4:] if name.split(".")[0] == "rows" else name): problems
                for name, problems in exc.errors.items()
            }
            raise DomainError(exc.message, errors=renamed) from None
        answer = {
            "applied": not data["dry_run"],
            "first": plan.first,
            "last": plan.last,
            "shifts": plan.create,
            "left_out_started": plan.started,
            "left_out_overlapping": plan.skipped,
            "overlaps": [{"shift": p, "existing": s} for p, s in plan.clashes],
            "existing": plan.existing,
            "gaps": [
                {"role": role.value, "starts_at": start, "ends_at": end}
                for role, periods in plan.gaps.items()
                for start, end in periods
            ],
        }
        code = status.HTTP_200_OK if data["dry_run"] else status.HTTP_201_CREATED
        return Response(PatternOutput(answer).data, status=code)
