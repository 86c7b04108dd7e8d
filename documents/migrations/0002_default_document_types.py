"""The document types asked of each legal form until staff change them in admin."""

from django.db import migrations

COMPANY = ["llc", "jsc"]
EVERYONE = ["llc", "jsc", "sole_proprietor"]

DEFAULT_TYPES = [
    {
        "code": "charter",
        "name_ru": "Устав",
        "name_en": "Charter",
        "description_ru": "Действующая редакция устава со всеми изменениями, все страницы.",
        "description_en": "The charter in force with all amendments, every page.",
        "legal_forms": COMPANY,
    },
    {
        "code": "registration_certificate",
        "name_ru": "Свидетельство о государственной регистрации",
        "name_en": "State registration certificate",
        "description_ru": "Свидетельство о регистрации или выписка из государственного "
        "регистра юридических лиц (индивидуальных предпринимателей).",
        "description_en": "The registration certificate or an extract from the state register "
        "of legal entities (or of sole proprietors).",
        "legal_forms": EVERYONE,
    },
    {
        "code": "director_appointment",
        "name_ru": "Решение о назначении директора",
        "name_en": "Decision appointing the director",
        "description_ru": "Решение участников (протокол) или приказ о назначении "
        "исполнительного органа, подписанный и с печатью, если она есть.",
        "description_en": "The members' decision (minutes) or order appointing the executive "
        "director, signed, and stamped where the company has a stamp.",
        "legal_forms": COMPANY,
    },
    {
        "code": "identity_document",
        "name_ru": "Паспорт или ID-карта",
        "name_en": "Passport or ID card",
        "description_ru": "Для юридического лица — документ директора, для ИП — документ "
        "предпринимателя. Страница с фотографией и страница с регистрацией; можно "
        "несколькими файлами.",
        "description_en": "The director's document for a company, the proprietor's own for a "
        "sole proprietor. The photo page and the registration page; several files are fine.",
        "legal_forms": EVERYONE,
    },
    {
        "code": "bank_account_confirmation",
        "name_ru": "Подтверждение банковского счета",
        "name_en": "Bank account confirmation",
        "description_ru": "Справка банка об открытии расчетного счета, на который будут "
        "поступать выплаты, с реквизитами счета.",
        "description_en": "A letter from the bank confirming the settlement account that will "
        "receive payouts, with its details.",
        "legal_forms": EVERYONE,
    },
]


def create_types(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    for position, fields in enumerate(DEFAULT_TYPES, start=1):
        DocumentType.objects.update_or_create(
            code=fields["code"],
            defaults={**fields, "position": position * 10, "required": True, "is_active": True},
        )


def remove_types(apps, schema_editor):
    DocumentType = apps.get_model("documents", "DocumentType")
    DocumentType.objects.filter(
        code__in=[fields["code"] for fields in DEFAULT_TYPES], documents__isnull=True
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(create_types, remove_types)]
