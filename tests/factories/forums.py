import factory
from django.utils import timezone

from core.markdown import render_markdown
from forums.models import Flag, Forum, IdeaStatus, Post, Topic, Vote
from tests.factories.accounts import UserFactory


class ForumFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Forum
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"forum-{n}")
    name = factory.Sequence(lambda n: f"Forum {n}")
    kind = Forum.Kind.GENERAL


class IdeasForumFactory(ForumFactory):
    slug = "ideas"
    name = "iDeas"
    kind = Forum.Kind.IDEAS


class TopicFactory(factory.django.DjangoModelFactory):
    """A topic with its first post (``body``)."""

    class Meta:
        model = Topic
        skip_postgeneration_save = True

    forum = factory.SubFactory(ForumFactory)
    title = factory.Sequence(lambda n: f"How do I use the ORCID API, question {n}?")
    author = factory.SubFactory(UserFactory)
    last_post_at = factory.LazyFunction(timezone.now)
    last_post_author = factory.SelfAttribute("author")
    status = factory.LazyAttribute(lambda o: IdeaStatus.NEW if o.forum.kind == "ideas" else "")

    @factory.post_generation
    def body(obj, create, extracted, **kwargs):
        if create:
            text = extracted or "The first post of the topic."
            Post.objects.create(
                topic=obj,
                author=obj.author,
                body=text,
                body_html=render_markdown(text),
                is_first=True,
            )


class IdeaFactory(TopicFactory):
    forum = factory.SubFactory(IdeasForumFactory)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    topic = factory.SubFactory(TopicFactory)
    author = factory.SubFactory(UserFactory)
    body = factory.Sequence(lambda n: f"A reply about the ORCID API, number {n}.")
    body_html = factory.LazyAttribute(lambda o: render_markdown(o.body))


class VoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vote

    idea = factory.SubFactory(IdeaFactory)
    user = factory.SubFactory(UserFactory)


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    post = factory.SubFactory(PostFactory)
    user = factory.SubFactory(UserFactory)
    reason = Flag.Reason.SPAM
