"""Template helpers of the design system, loaded on every page (TEMPLATES builtins in config/settings.py)."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from core.events import action_words

register = template.Library()


@register.simple_tag
def icon(name: str, label: str = "") -> str:
    """An icon from the vendored lucide sprite; decorative unless ``label`` names it for screen readers."""
    href = f"{static('icons/lucide.svg')}#{name}"
    if label:
        return format_html('<svg class="icon" role="img" aria-label="{}"><use href="{}"></use></svg>', label, href)
    return format_html('<svg class="icon" aria-hidden="true" focusable="false"><use href="{}"></use></svg>', href)


@register.inclusion_tag("ui/_badge.html")
def badge(state: str, label: str = "") -> dict:
    """A state badge: its colour comes from the state, and its words are always shown."""
    return {"state": state, "label": label or state.replace("_", " ").capitalize()}


@register.inclusion_tag("ui/_field.html")
def field(bound_field) -> dict:
    """One form field: label, input, help text and its errors, the same on every page."""
    return {"field": bound_field}


@register.inclusion_tag("ui/_fields.html")
def fields(form) -> dict:
    """A whole form's fields: the errors that belong to no field first, then each field, then hidden ones."""
    return {"form": form}


@register.filter
def event_words(action: str) -> str:
    """An audit action in plain words (the code is shown beside it for search)."""
    return action_words(action)
