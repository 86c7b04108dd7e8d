"""Merchant category codes (ISO 18245) offered for shops: the common e-commerce ones."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MCC_CHOICES = [
    ("4121", _("4121 — Taxi and ride sharing")),
    ("4722", _("4722 — Travel agencies and tour operators")),
    ("4814", _("4814 — Telecommunication services")),
    ("4899", _("4899 — Cable, satellite and streaming services")),
    ("5045", _("5045 — Computers and peripherals")),
    ("5047", _("5047 — Medical and dental equipment")),
    ("5311", _("5311 — Department stores")),
    ("5399", _("5399 — General merchandise")),
    ("5411", _("5411 — Grocery stores and supermarkets")),
    ("5499", _("5499 — Food stores and delivery")),
    ("5651", _("5651 — Family clothing")),
    ("5661", _("5661 — Shoe stores")),
    ("5712", _("5712 — Furniture and home furnishings")),
    ("5722", _("5722 — Household appliances")),
    ("5732", _("5732 — Electronics")),
    ("5812", _("5812 — Restaurants")),
    ("5814", _("5814 — Fast food")),
    ("5815", _("5815 — Digital media: books, films, music")),
    ("5816", _("5816 — Digital games")),
    ("5817", _("5817 — Software applications")),
    ("5912", _("5912 — Pharmacies")),
    ("5942", _("5942 — Book stores")),
    ("5945", _("5945 — Toys and games")),
    ("5977", _("5977 — Cosmetics")),
    ("5992", _("5992 — Florists")),
    ("5995", _("5995 — Pet shops")),
    ("5999", _("5999 — Other retail")),
    ("7011", _("7011 — Hotels and lodging")),
    ("7372", _("7372 — Computer programming and IT services")),
    ("7399", _("7399 — Business services")),
    ("7922", _("7922 — Theatre and event tickets")),
    ("8220", _("8220 — Colleges and universities")),
    ("8299", _("8299 — Courses and education")),
    ("8398", _("8398 — Charitable organisations")),
]
