"""The team page («Команда»): members and invitations, and joining a team by invitation."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import services
from ..access import get_invitation_for_member, get_membership_for_member, require_perm
from ..adapter import INVITATION_SESSION_KEY
from ..forms_team import InvitationForm, RoleForm
from ..models import Invitation, Membership
from ..roles import Perm, role_has


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    is_self: bool
    role_form: RoleForm | None  # None: the viewer may not change this member's role
    can_remove: bool


def _may_manage(actor: Membership, role: str) -> bool:
    # Mirrors the services' rule, only to decide which controls to show.
    return actor.role == Membership.Role.OWNER or role != Membership.Role.OWNER


def _render_team(
    request: HttpRequest, *, invite_form: InvitationForm | None = None
) -> HttpResponse:
    actor: Membership = request.membership
    merchant = actor.merchant
    members = merchant.memberships.select_related("user").order_by("created_at", "pk")
    rows = []
    for member in members:
        manageable = _may_manage(actor, member.role)
        rows.append(
            MemberRow(
                membership=member,
                is_self=member.pk == actor.pk,
                role_form=RoleForm(
                    initial={"role": member.role}, actor=actor, auto_id=f"id_member_{member.pk}_%s"
                )
                if manageable
                else None,
                can_remove=manageable and member.pk != actor.pk,
            )
        )
    invitations = (
        merchant.invitations.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )
    context = {
        "member_rows": rows,
        "invitations": [
            (invitation, _may_manage(actor, invitation.role)) for invitation in invitations
        ],
        "invite_form": invite_form or InvitationForm(actor=actor),
        "role_labels": dict(Membership.Role.choices),
        "ttl_days": Invitation.TTL_DAYS,
    }
    return render(request, "merchants/team/index.html", context)


def _after_own_change(request: HttpRequest) -> HttpResponse:
    """Back to the team page, unless the viewer just gave up the right to see it."""
    membership = Membership.objects.filter(pk=request.membership.pk).first()
    if membership is None or not role_has(membership.role, Perm.MANAGE_TEAM):
        return redirect("dashboard")
    return redirect("merchants:team")


@require_perm(Perm.MANAGE_TEAM)
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    return _render_team(request)


@require_perm(Perm.MANAGE_TEAM)
@require_POST
def invite(request: HttpRequest) -> HttpResponse:
    form = InvitationForm(request.POST, actor=request.membership)
    if form.is_valid():
        try:
            invitation, _token = services.invitation_create(
                merchant=request.membership.merchant,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                by=request.membership,
            )
        except services.ServiceError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("merchants:team")
    return _render_team(request, invite_form=form)


@require_perm(Perm.MANAGE_TEAM)
@require_POST
def change_role(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_membership_for_member(request.membership, pk)
    form = RoleForm(request.POST, actor=request.membership)
    if not form.is_valid():
        messages.error(request, _("Choose a role from the list."))
        return _render_team(request)
    try:
        services.membership_change_role(
            membership=member, role=form.cleaned_data["role"], by=request.membership
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
        return _render_team(request)
    member.refresh_from_db()
    messages.success(
        request,
        _("%(email)s is now: %(role)s.")
        % {"email": member.user.email, "role": member.get_role_display()},
    )
    return _after_own_change(request)


@require_perm(Perm.MANAGE_TEAM)
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_membership_for_member(request.membership, pk)
    try:
        services.membership_remove(membership=member, by=request.membership)
    except services.ServiceError as error:
        messages.error(request, error.message)
        return _render_team(request)
    messages.success(
        request, _("%(email)s was removed from the team.") % {"email": member.user.email}
    )
    return _after_own_change(request)


@require_perm(Perm.MANAGE_TEAM)
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_invitation_for_member(request.membership, pk)
    try:
        services.invitation_revoke(invitation=invitation, by=request.membership)
    except services.ServiceError as error:
        messages.error(request, error.message)
        return _render_team(request)
    messages.success(
        request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email}
    )
    return redirect("merchants:team")


def _invalid_reason(invitation: Invitation) -> str:
    if invitation.accepted_at is not None:
        return _("This invitation has already been accepted.")
    if invitation.revoked_at is not None:
        return _("This invitation was withdrawn by the team.")
    return _("This invitation has expired.")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Public: the link from the invitation email. The token is the only key."""
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404
    context = {"invitation": invitation, "team": invitation.merchant}
    if not invitation.is_pending:
        if request.session.get(INVITATION_SESSION_KEY) == token:
            del request.session[INVITATION_SESSION_KEY]
        context["reason"] = _invalid_reason(invitation)
        return render(request, "merchants/team/invitation_invalid.html", context)

    if not request.user.is_authenticated:
        # Signing in or up from here comes back to this page (the adapter reads the key),
        # and signing up with the invited address needs no separate confirmation email:
        # the link in the invitation already proved the address works.
        request.session[INVITATION_SESSION_KEY] = token
        get_adapter(request).stash_verified_email(request, invitation.email)
        context["signup_url"] = (
            reverse("account_signup") + "?" + urlencode({"email": invitation.email})
        )
        return render(request, "merchants/team/invitation_anonymous.html", context)

    error = services.invitation_acceptance_error(invitation=invitation, user=request.user)
    if request.method == "POST" and error is None:
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except services.ServiceError as exc:
            error = exc.message
        else:
            request.session.pop(INVITATION_SESSION_KEY, None)
            messages.success(
                request,
                _("You have joined the team of %(merchant)s as: %(role)s.")
                % {
                    "merchant": invitation.merchant.display_name,
                    "role": invitation.get_role_display(),
                },
            )
            return redirect("dashboard")
    context["error"] = error
    return render(request, "merchants/team/invitation_accept.html", context)
