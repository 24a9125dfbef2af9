"""Generated German integration offers for search tests and bench/search.py: realistic titles and
texts per field of action, towns with postcodes in every district, languages, target groups,
providers; written as the offers service writes them (body + derived search columns)."""

import random
import uuid
from datetime import timedelta

from sqlalchemy import insert
from sqlalchemy.orm import Session

from npa.contracts.offer_body import OfferBody
from npa.infrastructure.outbox import utcnow
from services.offers.domain.search import search_columns, search_name
from services.offers.models import KnownActor, Offer

TOWNS = {
    "03101": [("Braunschweig", "38100")], "03102": [("Salzgitter", "38226")], "03103": [("Wolfsburg", "38440")],
    "03151": [("Gifhorn", "38518"), ("Wittingen", "29378")], "03153": [("Goslar", "38640"), ("Bad Harzburg", "38667")],
    "03154": [("Helmstedt", "38350")], "03155": [("Northeim", "37154"), ("Einbeck", "37574")],
    "03157": [("Peine", "31224")], "03158": [("Wolfenbüttel", "38300")],
    "03159": [("Göttingen", "37073"), ("Hann. Münden", "34346"), ("Osterode am Harz", "37520")],
    "03241": [("Hannover", "30159"), ("Langenhagen", "30853"), ("Garbsen", "30823"), ("Laatzen", "30880")],
    "03251": [("Diepholz", "49356"), ("Syke", "28857")], "03252": [("Hameln", "31785"), ("Bad Pyrmont", "31812")],
    "03254": [("Hildesheim", "31134"), ("Alfeld (Leine)", "31061")], "03255": [("Holzminden", "37603")],
    "03256": [("Nienburg/Weser", "31582")], "03257": [("Stadthagen", "31655"), ("Bückeburg", "31675")],
    "03351": [("Celle", "29221")], "03352": [("Cuxhaven", "27472")],
    "03353": [("Buchholz in der Nordheide", "21244"), ("Winsen (Luhe)", "21423")], "03354": [("Lüchow", "29439")],
    "03355": [("Lüneburg", "21335")], "03356": [("Osterholz-Scharmbeck", "27711")],
    "03357": [("Rotenburg (Wümme)", "27356")], "03358": [("Soltau", "29614"), ("Walsrode", "29664")],
    "03359": [("Stade", "21682"), ("Buxtehude", "21614")], "03360": [("Uelzen", "29525")],
    "03361": [("Verden (Aller)", "27283"), ("Achim", "28832")], "03401": [("Delmenhorst", "27749")],
    "03402": [("Emden", "26721")], "03403": [("Oldenburg (Oldb)", "26121")], "03404": [("Osnabrück", "49074")],
    "03405": [("Wilhelmshaven", "26382")], "03451": [("Westerstede", "26655"), ("Bad Zwischenahn", "26160")],
    "03452": [("Aurich", "26603"), ("Norden", "26506")], "03453": [("Cloppenburg", "49661"), ("Friesoythe", "26169")],
    "03454": [("Lingen (Ems)", "49808"), ("Meppen", "49716"), ("Papenburg", "26871")],
    "03455": [("Jever", "26441"), ("Varel", "26316")], "03456": [("Nordhorn", "48529")],
    "03457": [("Leer (Ostfriesland)", "26789")], "03458": [("Wildeshausen", "27793"), ("Ganderkesee", "27777")],
    "03459": [("Melle", "49324"), ("Georgsmarienhütte", "49124"), ("Bramsche", "49565")],
    "03460": [("Vechta", "49377"), ("Lohne", "49393")], "03461": [("Brake (Unterweser)", "26919")],
    "03462": [("Wittmund", "26409")],
}
TITLES = {
    "sprache": ["Deutschkurs {level}", "Deutschkurs {level} für Frauen", "Integrationskurs {level}",
                "Sprachcafé {town}", "Alphabetisierungskurs", "Berufssprachkurs B2", "Konversationskurs Deutsch",
                "Hausaufgabenhilfe für Kinder", "Sprachpatenschaften {town}", "Lesecafé für Eltern"],
    "arbeit": ["Bewerbungstraining", "Berufsorientierung für Geflüchtete", "Anerkennungsberatung",
               "Jobcoaching für Frauen", "Praktikumsbörse {town}", "Existenzgründung: Beratung",
               "Ausbildungslotsen", "Computerkurs für den Beruf"],
    "engagement": ["Ehrenamtliche Sprachpaten gesucht", "Begegnungscafé {town}", "Fahrradwerkstatt",
                   "Nähcafé", "Patenschaftsprogramm", "Interkultureller Garten {town}"],
    "wohnen": ["Wohnungssuche: Beratung und Begleitung", "Mieterberatung", "Umzugshilfe", "Sozialberatung",
               "Energiesparberatung für Haushalte"],
    "teilhabe": ["Frauentreff", "Elterncafé", "Sportgruppe für Frauen", "Schwimmkurs für Frauen",
                 "Demokratie im Alltag", "Interkulturelles Fest {town}", "Mädchentreff", "Familienausflüge"],
}
SENTENCES = {
    "sprache": ["Wir üben Alltagssituationen: Einkaufen, Arzttermine, Behördengänge.",
                "Der Kurs bereitet auf die Prüfung Deutsch-Test für Zuwanderer vor.",
                "Unterricht in kleinen Gruppen mit erfahrenen Lehrkräften.",
                "Sprachkurse für Anfängerinnen und Anfänger ohne Vorkenntnisse.",
                "Lesen und Schreiben lernen in der lateinischen Schrift."],
    "arbeit": ["Wir helfen beim Lebenslauf und beim Anschreiben.", "Beratung zur Anerkennung ausländischer Abschlüsse.",
               "Kontakte zu Betrieben in der Region, Praktika und Ausbildungsplätze.",
               "Vorbereitung auf Vorstellungsgespräche mit Rollenspielen."],
    "engagement": ["Ehrenamtliche begleiten Neuzugewanderte im Alltag.", "Gemeinsam reparieren, kochen und gärtnern.",
                   "Wir suchen Freiwillige, die eine Patenschaft übernehmen."],
    "wohnen": ["Hilfe bei der Wohnungssuche und beim Mietvertrag.", "Beratung zu Nebenkosten, Strom und Heizung.",
               "Wir vermitteln bei Konflikten in der Nachbarschaft."],
    "teilhabe": ["Ein geschützter Raum für Frauen und Mädchen.", "Ausflüge, Feste und Begegnungen für Familien.",
                 "Gespräche über Rechte, Wahlen und Mitbestimmung.", "Sport und Bewegung für alle Altersgruppen."],
    "any": ["Die Teilnahme ist freiwillig.", "Bitte melden Sie sich vorher telefonisch an.",
            "Dolmetscherinnen können bei Bedarf dazukommen.", "Die Räume sind gut mit Bus und Bahn erreichbar.",
            "Kinderbetreuung ist auf Nachfrage möglich.", "Neue Teilnehmende sind jederzeit willkommen."],
}
PROVIDERS = ["VHS {town}", "Caritasverband {town}", "Diakonisches Werk {town}", "AWO {town}", "DRK {town}",
             "Flüchtlingshilfe {town} e. V.", "Jobcenter {town}", "Stadtbibliothek {town}", "Frauenzentrum {town}"]
LANGUAGES = [("ar", 0.3), ("fa", 0.2), ("uk", 0.25), ("ru", 0.15), ("tr", 0.1), ("en", 0.2), ("ku", 0.08),
             ("ti", 0.05), ("so", 0.03), ("ps", 0.05)]
COSTS = ["kostenlos"] * 7 + ["5 € pro Termin", "20 € pro Kurs", "Eigenanteil 30 €"]


def offer_bodies(count: int, seed: int = 42) -> list[tuple[dict, str]]:
    """(body, provider name) pairs; the body as OfferBody.state() stores it."""
    rng = random.Random(seed)
    keys = sorted(TOWNS)
    made = []
    for _ in range(count):
        field = rng.choice(list(TITLES))
        district = rng.choice(keys) if rng.random() > 0.05 else None
        town, postcode = rng.choice(TOWNS[district]) if district else ("", "")
        title = rng.choice(TITLES[field]).format(level=rng.choice(["A1", "A2", "B1", "B2"]), town=town or "online")
        women = "Frauen" in title or rng.random() < 0.08
        body = OfferBody.model_validate({
            "title": title,
            "summary": " ".join(rng.sample(SENTENCES[field], 2)),
            "description": " ".join(rng.sample(SENTENCES[field], 3) + rng.sample(SENTENCES["any"], 3)),
            "fields": sorted({field} | ({rng.choice(list(TITLES))} if rng.random() < 0.2 else set())),
            "district": district, "city": town or None, "postcode": postcode or None,
            "format": "vor_ort" if district else "online",
            "languages": ["de", *(code for code, share in LANGUAGES if rng.random() < share)],
            "target_groups": ["frauen"] if women else rng.choice([["alle"], ["alle"], ["familien", "kinder"],
                                                                   ["jugendliche"], ["erwachsene"]]),
            "women_only": women, "childcare": rng.random() < (0.4 if field == "sprache" else 0.15),
            "costs": rng.choice(COSTS),
        }).state()
        made.append((body, rng.choice(PROVIDERS).format(town=town or "Niedersachsen")))
    return made


def seed_offers(session: Session, count: int, *, seed: int = 42, batch: int = 5000) -> None:
    """`count` published offers (and their providers as known actors), created over the last year."""
    now = utcnow()
    providers: dict[str, str] = {}
    rng = random.Random(seed)
    rows = []
    for number, (body, provider) in enumerate(offer_bodies(count, seed)):
        body["provider_actor_id"] = providers.setdefault(provider, str(uuid.uuid4()))
        created = now - timedelta(minutes=rng.randrange(525_600))
        rows.append({"id": str(uuid.uuid4()), "version": 1, "status": "published", "title": body["title"],
                     "district": body["district"], "ends_on": None, "body": body, "partner_id": None,
                     "external_id": f"gen-{number}", "created_at": created, "updated_at": created,
                     **search_columns(body)})
    session.execute(insert(KnownActor), [{"id": actor_id, "name": name, "active": True,
                                          "search_name": search_name(name)} for name, actor_id in providers.items()])
    for start in range(0, len(rows), batch):
        session.execute(insert(Offer.__table__), rows[start:start + batch])  # type: ignore[attr-defined]
    session.commit()
