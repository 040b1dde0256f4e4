"""The two admin actions of a versioned configuration (pathway versions,
escalation policies): start a draft from a published version, and publish a
draft. Both admins share the same rules — a published version is never edited,
a draft applies to nobody — so they share this code; each says its own words
and names its own services."""

from collections.abc import Iterable
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.errors import DomainError


class VersionedAdminActions:
    """Mixed into a ModelAdmin (which provides ``message_user``); its
    decorated ``start_draft`` and ``publish`` actions call ``start_draft_for``
    and ``publish_each``."""

    message_user: Any

    noun = "version"  # what one version is called
    parts = "parts"  # what a draft's editable rows are called
    applies = "on"  # new referrals start ___ it
    change_url_name = ""  # the admin change page of the draft
    invalid_error: type[DomainError] = DomainError  # carries .errors by field

    def create_draft(self, obj: Any, user: Any) -> Any:
        raise NotImplementedError

    def publish_one(self, obj: Any, user: Any) -> None:
        raise NotImplementedError

    def field_label(self, field: str) -> str:
        return field.replace("_", " ")

    def start_draft_for(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(
                request,
                f"Choose exactly one {self.noun} to start the draft from.",
                messages.ERROR,
            )
            return None
        try:
            draft = self.create_draft(queryset.get(), request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        self.message_user(
            request,
            f"Started draft v{draft.number}. Edit its {self.parts}, then publish it.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse(self.change_url_name, args=[draft.pk]))

    def publish_each(self, request: HttpRequest, queryset: Iterable[Any]) -> None:
        for obj in queryset:
            if obj.published_at is not None:
                self.message_user(
                    request,
                    f"{obj} is already published. Start a new draft from it to change it.",
                    messages.ERROR,
                )
                continue
            try:
                self.publish_one(obj, request.user)
            except self.invalid_error as error:
                self.message_user(request, self._invalid_message(obj, error), messages.ERROR)
            except DomainError as error:
                self.message_user(
                    request, f"{obj} was not published: {error.message}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    f"Published {obj}: new referrals start {self.applies} it; referrals "
                    f"already started keep their {self.noun}.",
                    messages.SUCCESS,
                )

    def _invalid_message(self, obj: Any, error: Any) -> str:
        return format_html(
            "{} was not published:<ul>{}</ul>",
            obj,
            format_html_join(
                "",
                "<li>{}: {}</li>",
                (
                    (self.field_label(field), message)
                    for field, field_messages in error.errors.items()
                    for message in field_messages
                ),
            ),
        )
