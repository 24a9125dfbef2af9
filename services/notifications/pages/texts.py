"""What the pages say, in German (first) and English. Templates read it as `t.<key>`."""

from services.notifications.domain import DigestSchedule

WEEKDAYS = {"de": ("montags", "dienstags", "mittwochs", "donnerstags", "freitags", "samstags", "sonntags"),
            "en": ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")}

TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "service": "Benachrichtigungen", "other_language": "English", "other_language_code": "en",
        "subscribe_title": "Benachrichtigungen abonnieren", "subscribe_heading": "Neue Angebote per E-Mail",
        "subscribe_intro": "Erhalten Sie eine E-Mail, wenn es ein neues Integrationsangebot in Ihren Handlungsfeldern "
                           "und Regionen gibt. Sie bekommen zuerst eine E-Mail mit einem Bestätigungslink; erst danach "
                           "schicken wir Benachrichtigungen. Abmelden können Sie sich jederzeit mit einem Klick.",
        "email": "E-Mail-Adresse", "subscribe_button": "Abonnieren", "check_marked": "Bitte prüfen Sie die markierten Angaben.",
        "privacy": "Ihre E-Mail-Adresse verwenden wir nur für diese Benachrichtigungen und geben sie nicht weiter.",
        "consent_heading": "Ihre Einwilligung", "consent_version": "Fassung",
        "consent": "Mit „Abonnieren“ willigen Sie ein, dass „Niedersachsen packt an“ Ihnen E-Mails zu neuen "
                   "Integrationsangeboten schickt – und, wenn Sie es wählen, zu guten Beispielen und neuen Akteuren – "
                   "in den gewählten Handlungsfeldern und Regionen und in der gewählten Häufigkeit. Wir speichern dazu "
                   "Ihre Adresse, Ihre Auswahl und wann Sie eingewilligt haben. Ohne Bestätigung löschen wir die "
                   "Anfrage nach sieben Tagen. Sie können sich jederzeit abmelden, Ihre Daten herunterladen oder "
                   "löschen lassen; der Link dazu steht in jeder E-Mail.",
        "fields": "Handlungsfelder", "regions": "Regionen",
        "regions_hint": "keine Auswahl = ganz Niedersachsen; Mehrfachauswahl mit Strg/⌘",
        "arl_regions": "Ämter für regionale Landesentwicklung", "districts": "Landkreise und kreisfreie Städte",
        "frequency": "Wie oft?", "immediate": "sofort bei jedem neuen Angebot",
        "daily": "täglich als Zusammenfassung ({time} Uhr)", "weekly": "wöchentlich als Zusammenfassung ({day}, {time} Uhr)",
        "language": "Sprache der E-Mails", "extras": "Außerdem", "examples": "gute Beispiele aus der Praxis",
        "new_actors": "neue Akteure im Bündnis in meinen Handlungsfeldern und Regionen",
        "done_title": "Fast geschafft", "done_heading": "Fast geschafft",
        "done_text": "Wir haben Ihnen eine E-Mail geschickt. Bitte klicken Sie auf den Link darin, um Ihr Abonnement "
                     "zu bestätigen. Der Link gilt sieben Tage.",
        "done_no_mail": "Keine E-Mail bekommen? Sehen Sie im Spam-Ordner nach oder versuchen Sie es in ein paar "
                        "Minuten noch einmal:", "try_again": "zum Formular",
        "confirmed_title": "Abonnement bestätigt", "confirmed_heading": "Abonnement bestätigt",
        "confirmed_text": "Vielen Dank! Ab jetzt erhalten Sie Benachrichtigungen, die zu Ihrer Auswahl passen.",
        "view_settings": "Einstellungen ansehen oder ändern",
        "invalid_title": "Link ungültig", "invalid_heading": "Dieser Link funktioniert nicht",
        "invalid_expired": "Der Link ist abgelaufen. Bestätigungslinks gelten sieben Tage, Links zum Verwalten "
                           "30 Tage; jede neue Benachrichtigung bringt einen aktuellen Link. Sie können Ihre Adresse "
                           "auch neu eintragen: Nach der Bestätigung kommen Sie direkt zu Ihren Einstellungen.",
        "already_confirmed": "Dieses Abonnement ist bereits bestätigt. Der Link zum Verwalten steht in jeder "
                             "Benachrichtigung, die wir Ihnen schicken.",
        "throttled": "Für diese Adresse oder von diesem Anschluss kamen gerade zu viele Anmeldungen. Bitte versuchen "
                     "Sie es in {minutes} Minuten noch einmal.",
        "invalid_text": "Der Link ist ungültig oder nicht mehr gültig. Bitte prüfen Sie, ob Sie ihn vollständig "
                        "kopiert haben.", "subscribe_again": "Benachrichtigungen neu abonnieren",
        "manage_title": "Abonnement verwalten", "manage_heading": "Ihr Abonnement", "status": "Status",
        "status_active": "aktiv", "status_pending": "noch nicht bestätigt", "saved": "Ihre Einstellungen sind gespeichert.",
        "save": "Speichern", "your_data": "Ihre Daten",
        "export": "Meine Daten herunterladen (JSON)", "delete_link": "Mich und alle meine Daten löschen",
        "unsubscribe_link": "Keine Benachrichtigungen mehr? Abmelden",
        "unsubscribe_title": "Abmelden", "unsubscribe_heading": "Benachrichtigungen abbestellen?",
        "unsubscribe_text": "Möchten Sie keine E-Mails zu neuen Angeboten mehr erhalten?",
        "unsubscribe_button": "Ja, abmelden",
        "unsubscribed_title": "Abgemeldet", "unsubscribed_heading": "Sie sind abgemeldet",
        "unsubscribed_text": "Sie erhalten keine Benachrichtigungen mehr. Sie wurden erfolgreich abgemeldet.",
        "delete_title": "Daten löschen", "delete_heading": "Alle Ihre Daten löschen?",
        "delete_text": "Wir löschen Ihre E-Mail-Adresse, Ihre Auswahl, Ihre Einwilligungen und die Liste der E-Mails, "
                       "die wir Ihnen geschickt haben. Übrig bleiben nur Zählerstände ohne Bezug zu Ihnen. Sie "
                       "erhalten danach keine E-Mails mehr.", "delete_button": "Ja, alles löschen",
        "deleted_title": "Daten gelöscht", "deleted_heading": "Ihre Daten sind gelöscht",
        "deleted_text": "Wir haben Ihre E-Mail-Adresse und alle Angaben zu Ihrem Abonnement gelöscht.",
        "error_email": "Bitte geben Sie eine gültige E-Mail-Adresse an.",
        "error_fields": "Bitte wählen Sie mindestens ein Handlungsfeld.",
        "error_regions": "Bitte wählen Sie Regionen aus der Liste.",
        "error_frequency": "Bitte wählen Sie, wie oft Sie benachrichtigt werden möchten.",
        "error_language": "Bitte wählen Sie Deutsch oder Englisch.", "error_other": "Bitte prüfen Sie diese Angabe.",
    },
    "en": {
        "service": "Alerts", "other_language": "Deutsch", "other_language_code": "de",
        "subscribe_title": "Subscribe to alerts", "subscribe_heading": "New offers by e-mail",
        "subscribe_intro": "Get an e-mail when there is a new integration offer in your fields of action and regions. "
                           "You first receive an e-mail with a confirmation link; only then do we send alerts. You "
                           "can unsubscribe at any time with one click.",
        "email": "E-mail address", "subscribe_button": "Subscribe", "check_marked": "Please check the marked entries.",
        "privacy": "We use your e-mail address only for these alerts and never pass it on.",
        "consent_heading": "Your consent", "consent_version": "version",
        "consent": "By choosing “Subscribe” you agree that “Niedersachsen packt an” sends you e-mails about new "
                   "integration offers – and, if you choose so, about good examples and new actors – in the fields "
                   "of action and regions you chose, as often as you chose. For this we store your address, your "
                   "choices and when you agreed. Without confirmation we delete the request after seven days. You "
                   "can unsubscribe, download your data or have it deleted at any time; the link is in every e-mail.",
        "fields": "Fields of action", "regions": "Regions",
        "regions_hint": "none selected = all of Lower Saxony; select several with Ctrl/⌘",
        "arl_regions": "Offices for regional development (ARL)", "districts": "Districts and cities",
        "frequency": "How often?", "immediate": "at once, for every new offer",
        "daily": "daily digest ({time})", "weekly": "weekly digest ({day}, {time})",
        "language": "Language of the e-mails", "extras": "Also", "examples": "good examples from practice",
        "new_actors": "new actors in the alliance in my fields of action and regions",
        "done_title": "Almost done", "done_heading": "Almost done",
        "done_text": "We have sent you an e-mail. Please follow the link in it to confirm your subscription. The link "
                     "is valid for seven days.",
        "done_no_mail": "No e-mail? Look in your spam folder or try again in a few minutes:", "try_again": "to the form",
        "confirmed_title": "Subscription confirmed", "confirmed_heading": "Subscription confirmed",
        "confirmed_text": "Thank you! From now on you receive alerts matching your choices.",
        "view_settings": "View or change your settings",
        "invalid_title": "Invalid link", "invalid_heading": "This link does not work",
        "invalid_expired": "The link has expired. Confirmation links are valid for seven days, links to manage a "
                           "subscription for 30 days; every new alert brings a current link. You can also enter your "
                           "address again: after confirming you get straight to your settings.",
        "already_confirmed": "This subscription is already confirmed. The link to manage it is in every alert we "
                             "send you.",
        "throttled": "Too many subscribe requests came for this address or from this connection. Please try again "
                     "in {minutes} minutes.",
        "invalid_text": "The link is invalid or no longer valid. Please check that you copied all of it.",
        "subscribe_again": "Subscribe again",
        "manage_title": "Manage your subscription", "manage_heading": "Your subscription", "status": "Status",
        "status_active": "active", "status_pending": "not yet confirmed", "saved": "Your settings have been saved.",
        "save": "Save", "your_data": "Your data",
        "export": "Download my data (JSON)", "delete_link": "Delete me and all my data",
        "unsubscribe_link": "No more alerts? Unsubscribe",
        "unsubscribe_title": "Unsubscribe", "unsubscribe_heading": "Stop the alerts?",
        "unsubscribe_text": "Do you no longer want e-mails about new offers?", "unsubscribe_button": "Yes, unsubscribe",
        "unsubscribed_title": "Unsubscribed", "unsubscribed_heading": "You are unsubscribed",
        "unsubscribed_text": "You will not receive any more alerts. You have been unsubscribed.",
        "delete_title": "Delete data", "delete_heading": "Delete all your data?",
        "delete_text": "We delete your e-mail address, your choices, your consent records and the list of e-mails we "
                       "sent you. Only counts without any link to you remain. You will not receive any more e-mails.",
        "delete_button": "Yes, delete everything",
        "deleted_title": "Data deleted", "deleted_heading": "Your data has been deleted",
        "deleted_text": "We have deleted your e-mail address and everything about your subscription.",
        "error_email": "Please enter a valid e-mail address.", "error_fields": "Please choose at least one field of action.",
        "error_regions": "Please choose regions from the list.", "error_frequency": "Please choose how often.",
        "error_language": "Please choose German or English.", "error_other": "Please check this entry.",
    },
}


def texts(language: str | None) -> dict[str, str]:
    return TEXTS.get(language or "de", TEXTS["de"])


def frequency_labels(language: str, schedule: DigestSchedule) -> list[tuple[str, str]]:
    t = texts(language)
    lang = language if language in WEEKDAYS else "de"
    return [("immediate", t["immediate"]),
            ("daily", t["daily"].format(time=schedule.daily_at.strftime("%H:%M"))),
            ("weekly", t["weekly"].format(day=WEEKDAYS[lang][schedule.weekly_day],
                                          time=schedule.weekly_at.strftime("%H:%M")))]
