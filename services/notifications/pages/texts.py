"""Texts the pages compute (the rest is in the templates); all through gettext (npa/locale)."""

from npa.infrastructure import i18n
from npa.infrastructure.i18n import gettext, translate
from npa.infrastructure.portal import N_
from services.notifications.domain import DigestSchedule

ERRORS = {
    "email": N_("Bitte geben Sie eine gültige E-Mail-Adresse an."),
    "fields": N_("Bitte wählen Sie mindestens ein Handlungsfeld."),
    "regions": N_("Bitte wählen Sie Regionen aus der Liste."),
    "frequency": N_("Bitte wählen Sie, wie oft Sie benachrichtigt werden möchten."),
    "language": N_("Bitte wählen Sie Deutsch oder Englisch."),
}
OTHER_ERROR = N_("Bitte prüfen Sie diese Angabe.")
STATUS = {"active": N_("aktiv"), "pending": N_("noch nicht bestätigt")}


def error_text(name: str) -> str:
    return translate(ERRORS.get(name, OTHER_ERROR))


def frequency_labels(schedule: DigestSchedule) -> list[tuple[str, str]]:
    """The choices of how often, in the current language, with the configured times."""
    weekday = i18n.locale(i18n.current()).days["format"]["wide"][schedule.weekly_day]
    return [("immediate", gettext("sofort bei jedem neuen Angebot")),
            ("daily", gettext("täglich als Zusammenfassung (%(time)s Uhr)") % {
                "time": schedule.daily_at.strftime("%H:%M")}),
            ("weekly", gettext("wöchentlich als Zusammenfassung (%(day)s, %(time)s Uhr)") % {
                "day": weekday, "time": schedule.weekly_at.strftime("%H:%M")})]
