"""Thin views: fetch through a permission-aware getter, parse a form, call one service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.errors import DomainError, InvalidInput, NotAllowed, form_error
from core.pagecache import cached_page
from core.ratelimit import rate_limit
from core.submissions import submitted_once
from forums import permissions, selectors, services
from forums.forms import (
    FlagForm,
    MergeForm,
    MoveForm,
    ReplyForm,
    SearchForm,
    StatusForm,
    SubscriptionForm,
    TopicForm,
)
from forums.models import IdeaStatus, Post, Subscription, Topic


def _post_url(post: Post) -> str:
    page = selectors.page_of_post(post)
    return f"{post.topic.get_absolute_url()}?page={page}#post-{post.pk}"


# --- reading -------------------------------------------------------------------------------


@require_GET
@cached_page("forums", "contributors")
def index(request: HttpRequest) -> HttpResponse:
    forums = selectors.forum_index(request.user)
    context = {
        "forums": forums,
        "can_moderate_any": permissions.can_moderate_any(request.user, forums),
    }
    return render(request, "forums/index.html", context)


@require_GET
@cached_page("forums", "contributors", query=("page",))
def forum_detail(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = permissions.get_forum_for_user(request.user, forum_slug)
    if forum.is_ideas:
        return redirect("forums:ideas")
    page = selectors.forum_topics(forum, page=request.GET.get("page"))
    subscription = None
    if request.user.is_authenticated:
        subscription = Subscription.objects.filter(user=request.user, forum=forum).first()
    return render(
        request,
        "forums/forum_detail.html",
        {
            "forum": forum,
            "page": page,
            "subscription": subscription,
            "subscription_form": SubscriptionForm(
                initial={"mode": subscription.mode if subscription else "each"}
            ),
            "can_post": permissions.can_post_in(request.user, forum),
        },
    )


@require_GET
@cached_page("forums", "contributors", query=("sort", "status", "page"))
def ideas(request: HttpRequest) -> HttpResponse:
    forum = selectors.ideas_forum()
    if forum is None:
        raise Http404("The iDeas forum does not exist yet.")
    sort = request.GET.get("sort", "votes")
    sort = sort if sort in selectors.IDEA_SORTS else "votes"
    status = request.GET.get("status", "")
    status = status if status in IdeaStatus.values else ""
    page = selectors.ideas_list(
        forum, request.user, sort=sort, status=status, page=request.GET.get("page")
    )
    # Where a vote returns to: this list as it is sorted, filtered and paged (idea_vote).
    shown = {"sort": sort, "status": status, "page": page.number}
    back = f"{request.path}?{urlencode({k: v for k, v in shown.items() if v})}"
    return render(
        request,
        "forums/ideas.html",
        {
            "forum": forum,
            "page": page,
            "sort": sort,
            "status": status,
            "statuses": IdeaStatus.choices,
            "sorts": [("votes", _("most votes")), ("newest", _("newest")), ("status", _("status"))],
            "can_post": permissions.can_post_in(request.user, forum),
            "back": back,
        },
    )


@require_GET
@cached_page("forums", "contributors", query=("page", "quote"))
def topic_detail(request: HttpRequest, topic_id: int, slug: str = "") -> HttpResponse:
    topic = permissions.get_topic_for_user(request.user, topic_id)
    if slug != topic.slug:
        query = request.META.get("QUERY_STRING", "")
        return redirect(topic.get_absolute_url() + (f"?{query}" if query else ""), permanent=True)
    data = selectors.topic_page(topic, request.user, page=request.GET.get("page"))
    reply_form = None
    if (
        permissions.can_post_in(request.user, topic.forum)
        and (not topic.is_locked or data.can_moderate)
        and not topic.merged_into_id
    ):
        quoted = _quote(request, topic)
        reply_form = ReplyForm(initial={"body": quoted} if quoted else None)
    return render(
        request,
        "forums/topic_detail.html",
        {
            "topic": topic,
            "forum": topic.forum,
            "data": data,
            "page": data.page,
            "reply_form": reply_form,
            "subscription_form": SubscriptionForm(
                initial={"mode": data.subscription.mode if data.subscription else "each"}
            ),
            "can_set_status": topic.forum.is_ideas
            and permissions.can_set_idea_status(request.user),
            "status_form": StatusForm(initial={"status": topic.status}),
        },
    )


def _quote(request: HttpRequest, topic: Topic) -> str:
    """The reply box pre-filled with a quote of ``?quote=<post id>`` (works without JS)."""
    raw = request.GET.get("quote", "")
    # isdigit() accepts "²" and other digits int() refuses; a post id is ASCII 0-9 only,
    # and an id beyond a bigint's 19 digits names no post.
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= 18):
        return ""
    post = (
        Post.objects.select_related("author")
        .filter(pk=int(raw), topic=topic, is_hidden=False)
        .first()
    )
    if post is None:
        return ""
    name = post.author.display_name if post.author else _("someone")
    lines = [f"> {line}" if line else ">" for line in post.body.splitlines()]
    return _("%(name)s wrote:") % {"name": name} + "\n" + "\n".join(lines) + "\n\n"


@require_GET
def post_permalink(request: HttpRequest, post_id: int) -> HttpResponse:
    post = permissions.get_post_for_user(request.user, post_id)
    return redirect(_post_url(post))


@login_required
@require_GET
def post_revisions(request: HttpRequest, post_id: int) -> HttpResponse:
    post = permissions.get_post_for_user(request.user, post_id)
    if not permissions.can_edit_post(request.user, post):
        raise NotAllowed(_("Only the author and moderators see earlier versions."))
    revisions = post.revisions.select_related("edited_by")
    return render(request, "forums/post_revisions.html", {"post": post, "revisions": revisions})


@require_GET
@cached_page("forums", "contributors", query=("q", *SearchForm.base_fields, "page"))
def search(request: HttpRequest) -> HttpResponse:
    forums = permissions.visible_forums(request.user)
    form = SearchForm(request.GET or None, forums=forums)
    q = selectors.clean_query(request.GET.get("q"))
    results, status = None, 200
    if form.is_bound and not form.is_valid():
        status = 400
    elif q:
        try:
            page = int(request.GET.get("page", "1"))
        except ValueError:
            page = 1
        results = selectors.search_posts(
            request.user,
            q,
            forum=form.cleaned_data.get("forum"),
            since=form.cleaned_data.get("since"),
            until=form.cleaned_data.get("until"),
            page=page,
        )
    context = {"form": form, "q": q, "results": results}
    return render(request, "forums/search.html", context, status=status)


# --- writing -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
@submitted_once
def topic_create(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = permissions.get_forum_for_user(request.user, forum_slug)
    if not permissions.can_post_in(request.user, forum):
        raise NotAllowed(_("You cannot post in this forum."))
    form = TopicForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                topic = services.topic_create(forum=forum, by=request.user, **form.cleaned_data)
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("Your topic is published."))
                return redirect(topic)
        else:
            status = 400
    return render(request, "forums/topic_form.html", {"forum": forum, "form": form}, status=status)


@login_required
@require_POST
@submitted_once
def reply(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = permissions.get_topic_for_user(request.user, topic_id)
    form = ReplyForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            post = services.post_create(
                topic=topic, by=request.user, body=form.cleaned_data["body"]
            )
        except DomainError as error:
            form_error(form, error)
            status = error.status_code
        else:
            return redirect(_post_url(post))
    return render(request, "forums/reply_form.html", {"topic": topic, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request: HttpRequest, post_id: int) -> HttpResponse:
    post = permissions.get_post_for_user(request.user, post_id)
    if not permissions.can_edit_post(request.user, post):
        raise NotAllowed(_("You cannot edit this post."))
    form = ReplyForm(
        request.POST if request.method == "POST" else None, initial={"body": post.body}
    )
    form.fields["body"].label = _("Message")
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.post_edit(post=post, by=request.user, body=form.cleaned_data["body"])
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("Your changes are saved."))
                return redirect(_post_url(post))
        else:
            status = 400
    return render(request, "forums/post_edit.html", {"post": post, "form": form}, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@rate_limit("flag")
def post_flag(request: HttpRequest, post_id: int) -> HttpResponse:
    post = permissions.get_post_for_user(request.user, post_id)
    form = FlagForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.post_flag(post=post, by=request.user, **form.cleaned_data)
            except DomainError as error:
                form_error(form, error)
                status = error.status_code
            else:
                messages.success(request, _("Thank you: the moderators will look at this post."))
                return redirect(post.topic)
        else:
            status = 400
    return render(request, "forums/post_flag.html", {"post": post, "form": form}, status=status)


@login_required
@require_POST
def post_moderate(request: HttpRequest, post_id: int, action: str) -> HttpResponse:
    post = permissions.get_post_for_user(request.user, post_id)
    note = request.POST.get("note", "")[:1000]
    if action == "hide":
        services.post_hide(post=post, by=request.user, note=note)
        messages.success(request, _("The post is hidden."))
    else:
        services.post_restore(post=post, by=request.user, note=note)
        messages.success(request, _("The post is shown again."))
    if request.POST.get("next") == "queue":
        return redirect("forums:moderation")
    return redirect(_post_url(post))


@login_required
@require_POST
def post_accept(request: HttpRequest, post_id: int) -> HttpResponse:
    post = permissions.get_post_for_user(request.user, post_id)
    if request.POST.get("accept", "1") == "0":
        services.answer_unaccept(topic=post.topic, by=request.user)
    else:
        services.answer_accept(post=post, by=request.user)
    return redirect(_post_url(post))


@login_required
@require_POST
def topic_flag_state(request: HttpRequest, topic_id: int, action: str) -> HttpResponse:
    topic = permissions.get_topic_for_user(request.user, topic_id)
    on = request.POST.get("on", "1") != "0"
    if action == "lock":
        services.topic_lock(topic=topic, by=request.user, locked=on)
    else:
        services.topic_pin(topic=topic, by=request.user, pinned=on)
    return redirect(topic)


@login_required
@require_http_methods(["GET", "POST"])
def topic_move(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = permissions.get_topic_for_user(request.user, topic_id)
    if not permissions.can_moderate(request.user, topic.forum):
        raise NotAllowed(_("Only moderators of this forum can do this."))
    targets = [f.pk for f in selectors.moderated_forums(request.user) if f.pk != topic.forum_id]
    form = MoveForm(
        request.POST if request.method == "POST" else None,
        forums=permissions.visible_forums(request.user).filter(
            pk__in=targets, kind__in=["group", "general", "api_users"]
        ),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.topic_move(topic=topic, by=request.user, forum=form.cleaned_data["forum"])
            messages.success(request, _("The topic has moved."))
            return redirect(topic)
        status = 400
    return render(request, "forums/topic_move.html", {"topic": topic, "form": form}, status=status)


@login_required
@require_POST
def idea_vote(request: HttpRequest, topic_id: int) -> HttpResponse:
    idea = permissions.get_topic_for_user(request.user, topic_id)
    if request.POST.get("vote", "1") == "0":
        services.idea_unvote(idea=idea, by=request.user)
        messages.success(request, _("Your vote is withdrawn."))
    else:
        services.idea_vote(idea=idea, by=request.user)
        messages.success(request, _("Thank you for your vote."))
    # Back to the idea voted on: its place in the list the vote was cast from (sorted,
    # filtered, paged as it was), or the vote box of its page.
    back = request.POST.get("next", "")
    if back == "ideas":
        back = reverse("forums:ideas")
    if back.startswith(reverse("forums:ideas")) and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return redirect(f"{back}#idea-{idea.pk}")
    return redirect(f"{idea.get_absolute_url()}#votes")


@login_required
@require_POST
def idea_status(request: HttpRequest, topic_id: int) -> HttpResponse:
    idea = permissions.get_topic_for_user(request.user, topic_id)
    # Before the form: someone who may not set a status is refused, whatever they sent,
    # and is never shown the status form with its errors.
    if not permissions.can_set_idea_status(request.user):
        raise NotAllowed(_("Only staff and the steering group set the status of ideas."))
    form = StatusForm(request.POST)
    if not form.is_valid():
        return render(request, "forums/idea_status.html", {"topic": idea, "form": form}, status=400)
    services.idea_status_set(idea=idea, by=request.user, **form.cleaned_data)
    messages.success(request, _("The status is set and the voters are told."))
    return redirect(idea)


@login_required
@require_http_methods(["GET", "POST"])
def idea_merge(request: HttpRequest, topic_id: int) -> HttpResponse:
    idea = permissions.get_topic_for_user(request.user, topic_id)
    if not permissions.can_set_idea_status(request.user):
        raise NotAllowed(_("Only staff and the steering group merge ideas."))
    form = MergeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            target = (
                Topic.objects.select_related("forum")
                .filter(pk=form.cleaned_data["target"], forum=idea.forum)
                .first()
            )
            if target is None:
                form.add_error("target", _("There is no idea with this number."))
            else:
                services.idea_merge(duplicate=idea, target=target, by=request.user)
                messages.success(request, _("The ideas are merged; the votes have moved over."))
                return redirect(target)
        status = 400
    return render(request, "forums/idea_merge.html", {"topic": idea, "form": form}, status=status)


@login_required
@require_POST
def topic_subscription(request: HttpRequest, topic_id: int) -> HttpResponse:
    topic = permissions.get_topic_for_user(request.user, topic_id)
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(_("Choose how you want to receive mail."))
    services.subscription_set(by=request.user, topic=topic, mode=form.cleaned_data["mode"])
    messages.success(request, _("Your watching preference is saved."))
    return redirect(topic)


@login_required
@require_POST
def forum_subscription(request: HttpRequest, forum_slug: str) -> HttpResponse:
    forum = permissions.get_forum_for_user(request.user, forum_slug)
    form = SubscriptionForm(request.POST)
    if not form.is_valid():
        raise InvalidInput(_("Choose how you want to receive mail."))
    services.subscription_set(by=request.user, forum=forum, mode=form.cleaned_data["mode"])
    messages.success(request, _("Your watching preference is saved."))
    return redirect(forum)


@login_required
@require_GET
def moderation(request: HttpRequest) -> HttpResponse:
    if not selectors.moderated_forums(request.user):
        raise NotAllowed(_("Only moderators see the review queue."))
    return render(
        request, "forums/moderation.html", {"posts": selectors.moderation_queue(request.user)}
    )
