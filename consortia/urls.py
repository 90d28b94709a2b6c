from django.urls import path

from consortia import views

app_name = "consortia"
urlpatterns = [
    path("consortia/", views.consortium_list, name="list"),
    path("consortia/propose/", views.consortium_propose, name="propose"),
    path("consortia/mine/", views.dashboard, name="mine"),
    path(
        "consortia/mine/memberships/<int:pk>/leave/",
        views.membership_leave,
        name="membership_leave",
    ),
    path(
        "consortia/mine/contact-requests/<int:pk>/accept/",
        views.contact_request_accept,
        name="contact_request_accept",
    ),
    path(
        "consortia/mine/contact-requests/<int:pk>/decline/",
        views.contact_request_decline,
        name="contact_request_decline",
    ),
    path("consortia/mine/contacts/<int:pk>/email/", views.contact_email, name="contact_email"),
    path("consortia/organizations/", views.organization_list, name="organizations"),
    path(
        "consortia/organizations/<int:pk>/ask/",
        views.organization_ask,
        name="organization_ask",
    ),
    path("consortia/invitations/<str:token>/", views.invitation, name="invitation"),
    path("consortia/<slug:slug>/", views.consortium_detail, name="detail"),
    path("consortia/<slug:slug>/join/", views.consortium_join, name="join"),
    path("consortia/<slug:slug>/documents/<int:pk>/", views.document_download, name="document"),
    path("consortia/<slug:slug>/reports/<int:pk>/", views.report_detail, name="report"),
    path("consortia/<slug:slug>/manage/", views.consortium_manage, name="manage"),
    path("consortia/<slug:slug>/manage/requests/", views.manage_requests, name="manage_requests"),
    path("consortia/<slug:slug>/manage/members/", views.manage_members, name="manage_members"),
    path("consortia/<slug:slug>/manage/contacts/", views.manage_contacts, name="manage_contacts"),
    path(
        "consortia/<slug:slug>/manage/checklist/", views.manage_checklist, name="manage_checklist"
    ),
    path(
        "consortia/<slug:slug>/manage/documents/", views.manage_documents, name="manage_documents"
    ),
    path("consortia/<slug:slug>/manage/reports/", views.manage_reports, name="manage_reports"),
    path("consortia/<slug:slug>/manage/members.csv", views.members_csv, name="members_csv"),
    path(
        "consortia/<slug:slug>/manage/requests/<int:pk>/accept/",
        views.request_accept,
        name="request_accept",
    ),
    path(
        "consortia/<slug:slug>/manage/requests/<int:pk>/decline/",
        views.request_decline,
        name="request_decline",
    ),
    path(
        "consortia/<slug:slug>/manage/members/<int:pk>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("consortia/<slug:slug>/manage/details/", views.details_update, name="details_update"),
    path("consortia/<slug:slug>/manage/invitations/", views.contact_invite, name="contact_invite"),
    path(
        "consortia/<slug:slug>/manage/invitations/<int:pk>/withdraw/",
        views.invitation_withdraw,
        name="invitation_withdraw",
    ),
    path(
        "consortia/<slug:slug>/manage/contacts/<int:pk>/remove/",
        views.contact_remove,
        name="contact_remove",
    ),
    path(
        "consortia/<slug:slug>/manage/documents/<int:pk>/delete/",
        views.document_delete,
        name="document_delete",
    ),
    path("consortia/<slug:slug>/manage/finalize/", views.consortium_finalize, name="finalize"),
    path("consortia/<slug:slug>/manage/inactive/", views.consortium_deactivate, name="deactivate"),
]
