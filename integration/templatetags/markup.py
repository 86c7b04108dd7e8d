from django import template

from integration.markup import render_markdown

register = template.Library()
register.filter("markdown", render_markdown)
