"""Languages of offers: ISO 639-1 codes and the German and English names people type. Pure data
and rules; no framework imports.

The search takes "Arabisch", "arabic", "AR" or "ar" alike; a name it does not know is an error
(naming the field), never a silent "0 offers".
"""

import unicodedata

# code: (German name, English name, further names people use)
LANGUAGES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "de": ("Deutsch", "German", ()),
    "en": ("Englisch", "English", ()),
    "ar": ("Arabisch", "Arabic", ()),
    "fa": ("Persisch", "Persian", ("Farsi", "Dari")),
    "uk": ("Ukrainisch", "Ukrainian", ()),
    "ru": ("Russisch", "Russian", ()),
    "tr": ("Türkisch", "Turkish", ()),
    "ku": ("Kurdisch", "Kurdish", ("Kurmandschi", "Kurmanji", "Sorani")),
    "ps": ("Paschtu", "Pashto", ("Paschto", "Pashtu")),
    "ti": ("Tigrinya", "Tigrinya", ("Tigrinisch",)),
    "so": ("Somali", "Somali", ("Somalisch",)),
    "am": ("Amharisch", "Amharic", ()),
    "fr": ("Französisch", "French", ()),
    "es": ("Spanisch", "Spanish", ()),
    "it": ("Italienisch", "Italian", ()),
    "pt": ("Portugiesisch", "Portuguese", ()),
    "pl": ("Polnisch", "Polish", ()),
    "ro": ("Rumänisch", "Romanian", ()),
    "bg": ("Bulgarisch", "Bulgarian", ()),
    "sq": ("Albanisch", "Albanian", ()),
    "sr": ("Serbisch", "Serbian", ()),
    "hr": ("Kroatisch", "Croatian", ()),
    "bs": ("Bosnisch", "Bosnian", ()),
    "mk": ("Mazedonisch", "Macedonian", ()),
    "el": ("Griechisch", "Greek", ()),
    "hu": ("Ungarisch", "Hungarian", ()),
    "cs": ("Tschechisch", "Czech", ()),
    "sk": ("Slowakisch", "Slovak", ()),
    "nl": ("Niederländisch", "Dutch", ()),
    "hy": ("Armenisch", "Armenian", ()),
    "ka": ("Georgisch", "Georgian", ()),
    "az": ("Aserbaidschanisch", "Azerbaijani", ()),
    "uz": ("Usbekisch", "Uzbek", ()),
    "tg": ("Tadschikisch", "Tajik", ()),
    "ur": ("Urdu", "Urdu", ()),
    "hi": ("Hindi", "Hindi", ()),
    "bn": ("Bengalisch", "Bengali", ("Bangla",)),
    "ta": ("Tamil", "Tamil", ("Tamilisch",)),
    "vi": ("Vietnamesisch", "Vietnamese", ()),
    "zh": ("Chinesisch", "Chinese", ("Mandarin",)),
    "sw": ("Swahili", "Swahili", ("Suaheli",)),
    "ha": ("Hausa", "Hausa", ()),
    "yo": ("Yoruba", "Yoruba", ()),
    "ig": ("Igbo", "Igbo", ()),
    "ln": ("Lingala", "Lingala", ()),
    "he": ("Hebräisch", "Hebrew", ()),
}


def _key(name: str) -> str:
    """"Türkisch", "Tuerkisch", "turkisch" → one key: folded, umlauts as two letters, letters only."""
    text = name.strip().casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if c.isalpha() and not unicodedata.combining(c))


_BY_NAME: dict[str, str] = {
    _key(name): code
    for code, (german, english, others) in LANGUAGES.items()
    for name in (german, english, *others)
}


def language_code(value: str) -> str | None:
    """The ISO 639-1 code for a code or a German or English name; None when unknown. Any two
    letters count as a code (offers may name languages this table does not list)."""
    text = value.strip()
    if len(text) == 2 and text.isascii() and text.isalpha():
        return text.lower()
    return _BY_NAME.get(_key(text))


def language_name(code: str, lang: str = "de") -> str:
    names = LANGUAGES.get(code)
    if names is None:
        return code
    return names[0] if lang == "de" else names[1]
