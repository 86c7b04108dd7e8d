from django.urls import path

from .views import account, activation, team

app_name = "merchants"

urlpatterns = [
    # Activation wizard («Активация»)
    path("activation/", activation.start, name="activation"),
    path("activation/company/", activation.company, name="activation_company"),
    path("activation/website/", activation.website, name="activation_website"),
    path("activation/contacts/", activation.contacts, name="activation_contacts"),
    path("activation/contacts/send-code/", activation.send_code, name="activation_send_code"),
    path("activation/contacts/verify-code/", activation.verify_code, name="activation_verify_code"),
    path(
        "activation/contacts/check-website/",
        activation.check_website,
        name="activation_check_website",
    ),
    path("activation/tariffs/", activation.tariffs, name="activation_tariffs"),
    # Team
    path("team/", team.index, name="team"),
    path("team/invite/", team.invite, name="team_invite"),
    path("team/members/<int:pk>/role/", team.change_role, name="team_change_role"),
    path("team/members/<int:pk>/remove/", team.remove, name="team_remove"),
    path("team/invitations/<int:pk>/revoke/", team.revoke, name="team_revoke"),
    path("invitations/<str:token>/", team.invitation_accept, name="invitation_accept"),
    # Personal settings
    path("settings/preferences/", account.preferences, name="preferences"),
]
