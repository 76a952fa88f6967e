from django import template

from feedback.money import format_minor

register = template.Library()


@register.filter
def money(amount_minor, currency):
    """12345|money:"EUR" -> "123.45 EUR"; empty without a currency."""
    if not currency:
        return ""
    return f"{format_minor(int(amount_minor or 0), currency)} {currency}"
