from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, number) -> str:
    """The current address with ``page`` set to ``number`` (other filters kept)."""
    query = context["request"].GET.copy()
    query["page"] = number
    query.pop("quote", None)
    return "?" + query.urlencode()
