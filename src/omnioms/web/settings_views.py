"""Settings a manager owns, in the product rather than the back office: channel accounts,
each account's stock rule, and staff users.

Each page checks its own permission (a 403 otherwise). Changes go through the same use cases
as the command line and the admin: ``sync.services.create_account`` and the shared account
form, the stock rule models with the admin's "forget the cached rules, queue every figure",
``core.services.create_staff_user`` and ``set_staff_active``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnioms.channels.clients.registry import has_client, is_connected
from omnioms.channels.models import ChannelAccount
from omnioms.core.roles import ROLE_LABELS
from omnioms.core.services import create_staff_user, may_manage, set_staff_active
from omnioms.floor.commit_forms import CommitmentsForm
from omnioms.inventory.availability import queue_account_availability
from omnioms.inventory.models import ChannelStockRule
from omnioms.inventory.rules import forget_rules
from omnioms.sync.services import create_account
from omnioms.web.settings_forms import (
    AccountSettingsForm,
    RuleLocationFormSet,
    StaffUserForm,
    StockRuleForm,
)


def _redirect(name: str, *args: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse(f"web:{name}", args=args))


@login_required
@require_GET
def settings_home(request: HttpRequest) -> HttpResponse:
    if request.user.has_perm("channels.view_channelaccount"):
        return _redirect("settings_accounts")
    if request.user.has_perm("core.manage_staff"):
        return _redirect("settings_users")
    raise PermissionDenied


# ----------------------------------------------------------------------------------------------
# Channel accounts


@login_required
@permission_required("channels.view_channelaccount", raise_exception=True)
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    accounts = ChannelAccount.objects.select_related("location").order_by("-is_active", "name")
    rules = set(ChannelStockRule.objects.values_list("account_id", flat=True))
    rows = [
        {
            "account": account,
            "has_api": has_client(account.platform),
            "connected": is_connected(account.platform, account.api_credentials),
            "has_rule": account.pk in rules,
        }
        for account in accounts
    ]
    return render(request, "web/settings/account_list.html", {"rows": rows})


def _account_page(
    request: HttpRequest,
    form: AccountSettingsForm,
    account: ChannelAccount | None,
    commitments: CommitmentsForm,
) -> HttpResponse:
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "commitments": commitments,
        "account": account,
        "has_api": account is not None and has_client(account.platform),
    }
    return render(request, "web/settings/account_form.html", context, status=status)


@login_required
@permission_required("channels.add_channelaccount", raise_exception=True)
@require_http_methods(["GET", "POST"])
def account_create(request: HttpRequest) -> HttpResponse:
    form = AccountSettingsForm(request.POST if request.method == "POST" else None)
    commitments = CommitmentsForm.for_account(
        None, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid() and commitments.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                account = create_account(
                    name=data["name"],
                    platform=data["platform"],
                    display_name=data["display_name"],
                    secret=data["webhook_secret"],
                    time_zone=data["time_zone"],
                    currency=data["default_currency"],
                    location_code=data["location"].code if data["location"] else None,
                    api_credentials=data["api_credentials"],
                    options=form.options,
                )
                commitments.save(account.pk)
        except ValueError as exc:
            field, _sep, message = str(exc).partition(": ")
            form.add_error(field if field in form.fields else None, message or str(exc))
        else:
            messages.success(
                request,
                _("Channel account %(name)s created. Its webhook address: %(url)s")
                % {"name": account.name, "url": f"/api/v1/webhooks/{account.name}"},
            )
            return _redirect("settings_accounts")
    return _account_page(request, form, None, commitments)


@login_required
@permission_required("channels.change_channelaccount", raise_exception=True)
@require_http_methods(["GET", "POST"])
def account_edit(request: HttpRequest, name: str) -> HttpResponse:
    account = get_object_or_404(ChannelAccount, name=name)
    form = AccountSettingsForm(request.POST if request.method == "POST" else None, instance=account)
    commitments = CommitmentsForm.for_account(
        account.pk, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid() and commitments.is_valid():
        with transaction.atomic():
            form.save()
            commitments.save(account.pk)
        messages.success(request, _("Channel account %(name)s saved.") % {"name": account.name})
        return _redirect("settings_accounts")
    return _account_page(request, form, account, commitments)


@login_required
@permission_required(
    ["inventory.add_channelstockrule", "inventory.change_channelstockrule"],
    raise_exception=True,
)
@require_http_methods(["GET", "POST"])
def stock_rule_edit(request: HttpRequest, name: str) -> HttpResponse:
    account = get_object_or_404(ChannelAccount, name=name)
    rule = ChannelStockRule.objects.filter(account=account).first()
    rule = rule or ChannelStockRule(account=account)
    data = request.POST if request.method == "POST" else None
    form = StockRuleForm(data, instance=rule)
    locations = RuleLocationFormSet(data, instance=rule, prefix="locations")
    if request.method == "POST" and form.is_valid() and locations.is_valid():
        with transaction.atomic():
            rule = form.save()
            locations.instance = rule
            locations.save()
            # As the admin does: this process reads the new rule at once, and every figure the
            # account may sell is queued again, since any of them may have moved.
            forget_rules()
            queue_account_availability(account.pk)
        messages.success(request, _("The stock rule of %(name)s saved.") % {"name": account.name})
        return _redirect("settings_accounts")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "locations": locations, "account": account, "is_new": rule.pk is None}
    return render(request, "web/settings/stock_rule_form.html", context, status=status)


# ----------------------------------------------------------------------------------------------
# Staff users


def _user_row(request: HttpRequest, user: User) -> dict[str, Any]:
    groups = {group.name for group in user.groups.all()}
    profile = getattr(user, "staff_profile", None)
    return {
        "user": user,
        "roles": [str(label) for role, label in ROLE_LABELS.items() if role in groups],
        "store": profile.store if profile is not None else None,
        "may_manage": may_manage(request.user, user) and user.pk != request.user.pk,  # type: ignore[arg-type]
    }


@login_required
@permission_required("core.manage_staff", raise_exception=True)
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    users = (
        User.objects.prefetch_related("groups")
        .select_related("staff_profile__store")
        .order_by("-is_active", "username")
    )
    rows = [_user_row(request, user) for user in users]
    return render(request, "web/settings/user_list.html", {"rows": rows})


@login_required
@permission_required("core.manage_staff", raise_exception=True)
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    actor: User = request.user  # type: ignore[assignment]
    form = StaffUserForm(request.POST if request.method == "POST" else None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                user = create_staff_user(
                    username=data["username"],
                    role=data["role"],
                    password=data["password"],
                    store_code=data["store"].code if data["store"] else None,
                    actor=actor,
                )
                if data["first_name"]:
                    user.first_name = data["first_name"]
                    user.save(update_fields=["first_name"])
        except ValueError as exc:
            field, _sep, message = str(exc).partition(": ")
            form.add_error(field if field in form.fields else None, message or str(exc))
        else:
            messages.success(
                request, _("User %(name)s created; they can log in now.") % {"name": user}
            )
            return _redirect("settings_users")
    status = 400 if request.method == "POST" else 200
    return render(request, "web/settings/user_form.html", {"form": form}, status=status)


def _managed_user(request: HttpRequest, pk: int) -> User:
    user = get_object_or_404(User, pk=pk)
    if not may_manage(request.user, user):  # type: ignore[arg-type]
        raise PermissionDenied
    return user


@login_required
@permission_required("core.manage_staff", raise_exception=True)
@require_POST
def user_set_active(request: HttpRequest, pk: int) -> HttpResponse:
    user = _managed_user(request, pk)
    if user.pk == request.user.pk:
        raise PermissionDenied  # nobody locks themselves out; the page offers no button for it
    active = request.POST.get("active") == "1"
    set_staff_active(user, active, actor=request.user)  # type: ignore[arg-type]
    if getattr(request, "htmx", False):  # the row shows the new state
        return render(request, "web/settings/_user_row.html", {"row": _user_row(request, user)})
    text = _("%(name)s can log in again.") if active else _("%(name)s can no longer log in.")
    messages.success(request, text % {"name": user.get_username()})
    return _redirect("settings_users")


@login_required
@permission_required("core.manage_staff", raise_exception=True)
@require_http_methods(["GET", "POST"])
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    user = _managed_user(request, pk)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(
            request, _("The password of %(name)s was changed.") % {"name": user.get_username()}
        )
        return _redirect("settings_users")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "managed": user}
    return render(request, "web/settings/user_password.html", context, status=status)
