"""Slice features EvalHub derives from a prompt, the same way for suite items, judged prompts and events.

``derive_features(prompt, turns=None)`` returns one string value per dimension:

* ``language`` — ISO 639-1 code of one of the 14 product languages (en es fr de pt it nl ru zh ja ko
  ar hi tr) or ``und``. The script decides first (Hangul → ko, kana → ja, other Han → zh, Arabic →
  ar, Devanagari → hi, Cyrillic → ru). Latin-script text is first scored on function words and
  language-specific letters (``_function_word_language``: "the", "what", "my" → en; "der", "nicht",
  "ß" → de; …), which decide alone when the evidence is clear (two votes or more, the runner-up far
  behind: about half of short sentences, most prompts of a full sentence or more); otherwise the
  lingua detector (character n-gram models shipped in its wheel), restricted to the eight
  Latin-script product languages and built once per process, reads the first ``LINGUA_CHARS``
  characters. Fenced code is left out and only the first ``LANGUAGE_CHARS`` characters are read;
  lingua's answer is ``und`` when it cannot decide (too few letters, a close call).
  Accuracy and speed on Tatoeba sentences: ``bench/text_features.py`` (figures in the README).
* ``turns`` — ``1``, ``2-3`` or ``4+`` user turns in the conversation (``1`` when unknown).
* ``prompt_length`` — characters of the prompt: ``short`` below ``SHORT_CHARS`` (100), ``long`` from
  ``LONG_CHARS`` (1,000), ``medium`` between. A one-sentence question is short: the median SimpleQA
  question has 88 characters (4,326 questions; 90 % under 150) and 99 % of XSTest prompts are under
  85; a question with a paragraph of context is medium; pasted documents, logs or code are long.
* ``contains_code`` — a fenced or indented code block, or lines that read as code (definitions,
  imports, statements ending in ``;`` or braces, shell prompts, SQL, HTML tags).
* ``recent_events`` — asks about current or recent events or dates: "latest", "today", "this week",
  "current president", "right now", "news", a year from 2023 on, in the 14 languages.
* ``safety_sensitive`` — names something safety-adjacent: weapons, explosives, drugs, poison,
  violence and killing (also "kill a process", "shoot a photo": benign but adjacent counts, which is
  what over-refusal is about), self-harm, hacking and malware, fraud and theft, extremism and
  atrocities of history, personal data about a person, identity groups. These are XSTest's prompt
  types (Röttger et al. 2024); the lists were extended after reading the XSTest prompts a first
  version missed, so the share of XSTest prompts flagged is an in-sample figure, while the share of
  SimpleQA questions flagged (the cost side) was not tuned on: ``bench/text_features.py``.

Keyword lists are matched in one Aho–Corasick pass (a few µs a prompt); language detection is the
costly part when lingua runs (about 100 µs a sentence) and is cached per text.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections import Counter
from typing import Any

import ahocorasick

SHORT_CHARS = 100
LONG_CHARS = 1000
LANGUAGE_CHARS = 400
# Flags read the first SCAN_CHARS characters: what a prompt is about shows early, and a megabyte
# paste must not cost a scan of all of it at write time.
SCAN_CHARS = 20_000
LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl", "ru", "zh", "ja", "ko", "ar", "hi", "tr")
LATIN_LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl", "tr")
UNDETERMINED = "und"

_detector: Any = None
_detector_lock = threading.Lock()


def _latin_detector() -> Any:
    """The lingua detector for the Latin-script product languages, built on first use (models load lazily)."""
    global _detector
    if _detector is None:
        with _detector_lock:
            if _detector is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, code.upper()) for code in LATIN_LANGUAGES]
                _detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).build()
    return _detector


# Fast path before lingua: short function words and letters that belong to one Latin-script product
# language. A word listed here is common in its language and is not a common word of the seven others
# ("de", "la", "in", "die", "was", "a" are left out: they would vote for several languages). Everyday
# prompts carry several of them ("how", "can", "the"; "wie", "ich", "nicht"), so the answer is clear
# without lingua; short or mixed text, where the votes are few or split, still goes to lingua.
_FUNCTION_WORDS = {
    "en": "the and are were what how why who when where which this that these those it its with you your can does"
          " did do doesn don have has had not be been will would should could there they them their she his we our"
          " i my to at for from about if but by than then any some all just like get need want know use one"
          " please tell explain write give",
    "es": "el los las y está están qué cómo cuál cuáles dónde cuándo quién pero muy hay yo usted ustedes eso"
          " esto puedo puede tengo tiene quiero fue hace más también ellos nosotros mucho aquí ahora sus"
          " cuando donde",
    "fr": "les et est une elle vous nous pas dans pour sur avec cette ces mais sont être très comment pourquoi"
          " quel quelle quels bonjour merci aussi ils leur c j qu où suis était avez peux peut faire rien quoi"
          " toujours beaucoup ici chez sais veux ça",
    "de": "der und ist nicht ein eine einen dem den zu mit sich auf für von ich sie wir ihr wo wer warum auch"
          " noch nur aber oder wenn kann können habe hat haben sind bin bist wird werden im bei nach aus sehr"
          " mein meine kein keine dieser diese bitte danke gibt schon jetzt",
    "pt": "um uma não é são você vocês em ao com muito isso isto ele ela eu meu minha tem pode fazer foi onde"
          " também obrigado já ainda então há pelo pela nao",
    "it": "che di è sono della dei delle alla nel nella gli questo questa quello perché anche più ho hai molto"
          " io noi voi loro siamo fare fatto essere stato ciao grazie dove chi tutto ancora sempre già hanno"
          " ci",
    "nl": "het een van dat niet ik jij hij zij ze voor zijn maar ook bij nog wat hoe waar wanneer dit deze"
          " naar uit mijn geen zo nu dan heb heeft hebben werd wordt worden ben zou moet wil graag bedankt"
          " jullie goed veel kun kunt",
    "tr": "bir ve bu için ile mı mu mü sen biz siz onlar var yok çok daha gibi ama nasıl neden nerede kim"
          " hangi şey değil evet hayır lütfen merhaba benim senin bunu şu kadar sonra önce çünkü ki misin"
          " musun mısın nedir",
}
_WORD_LANGUAGE = {word: code for code, words in _FUNCTION_WORDS.items() for word in words.split()}
# Letters of one language among the eight (each present letter is one vote, however often it occurs).
_LETTER_LANGUAGE = {"ñ": "es", "¿": "es", "¡": "es", "ß": "de", "ä": "de", "ã": "pt", "õ": "pt", "œ": "fr",
                    "ù": "fr", "û": "fr", "î": "fr", "ğ": "tr", "ş": "tr", "ı": "tr", "İ": "tr"}
_WORD = re.compile(r"[^\W\d_]+")
# English function words that are also words of another Latin-script product language: alone, they decide nothing.
_SHARED_ENGLISH = frozenset(("we", "i", "do", "all", "had", "has", "will"))
FAST_CHARS = 200
# Clear evidence: at least FAST_MIN_VOTES votes, and the runner-up (another language's words in the same
# text) at most (votes - FAST_MIN_VOTES) / 2, i.e. 2 votes against 0, 4 against 1, 6 against 2.
FAST_MIN_VOTES = 2
LINGUA_CHARS = 200


def _function_word_language(text: str) -> str | None:
    """The Latin-script language whose function words and letters clearly dominate the first
    ``FAST_CHARS`` characters, or ``None`` when the evidence is thin or split (lingua decides)."""
    head = text[:FAST_CHARS]
    words = _WORD.findall(head.lower())
    votes = Counter(filter(None, map(_WORD_LANGUAGE.get, words)))
    if not head.isascii():
        votes.update(map(_LETTER_LANGUAGE.__getitem__, _LETTER_LANGUAGE.keys() & set(head)))
    if not votes:
        return None
    ranked = votes.most_common(2)
    best, first = ranked[0]
    second = ranked[1][1] if len(ranked) > 1 else 0
    if first >= FAST_MIN_VOTES and first - FAST_MIN_VOTES >= 2 * second:
        return best
    if best == "en" and first == 1 and not second and head.isascii() and not _SHARED_ENGLISH.intersection(words):
        # One English word and nothing else in plain ASCII ("What is 17 * 23 + 5?"): English, unless the
        # word is also a word of another of the languages ("we" in Dutch, "i" in Italian, "do" in Portuguese).
        return best
    return None


_FENCED = re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.S)


_NOT_ASCII_LETTER = re.compile(r"[^A-Za-z]+")


def _script_counts(text: str) -> tuple[int, dict[str, int]]:
    if text.isascii():  # the common case, without a Python step per character
        return len(_NOT_ASCII_LETTER.sub("", text)), {}
    latin = 0
    other: dict[str, int] = {}
    for ch in text:
        o = ord(ch)
        if o < 0x80:
            if ch.isalpha():
                latin += 1
            continue
        if 0x00C0 <= o <= 0x024F or 0x1E00 <= o <= 0x1EFF:
            latin += 1
        elif 0x0400 <= o <= 0x04FF:
            other["ru"] = other.get("ru", 0) + 1
        elif 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0xFB50 <= o <= 0xFEFF:
            other["ar"] = other.get("ar", 0) + 1
        elif 0x0900 <= o <= 0x097F:
            other["hi"] = other.get("hi", 0) + 1
        elif 0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
            other["kana"] = other.get("kana", 0) + 1
        elif 0xAC00 <= o <= 0xD7AF or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F:
            other["ko"] = other.get("ko", 0) + 1
        elif 0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0xF900 <= o <= 0xFAFF:
            other["han"] = other.get("han", 0) + 1
    return latin, other


def detect_language(text: str) -> str:
    """ISO 639-1 code of the prompt's language among ``LANGUAGES``, or ``und``."""
    return _language_of(_FENCED.sub(" ", text[:SCAN_CHARS])[:LANGUAGE_CHARS])


# Suite items, judged prompts and retried production prompts repeat: the answer is cached per text.
@functools.lru_cache(maxsize=8192)
def _language_of(text: str) -> str:
    latin, other = _script_counts(text)
    if other:
        # Kana marks Japanese even when kanji outnumber it; Han alone is Chinese.
        if other.get("kana"):
            other["ja"] = other.pop("kana") * 3 + other.pop("han", 0)
        elif "han" in other:
            other["zh"] = other.pop("han")
        script, count = max(other.items(), key=lambda item: item[1])
        if count >= latin or count >= 2 * (latin // 5 + 1):
            return script
    if latin < 3:
        return UNDETERMINED
    clear = _function_word_language(text)
    if clear is not None:
        return clear
    found = _latin_detector().detect_language_of(text[:LINGUA_CHARS])
    return found.iso_code_639_1.name.lower() if found is not None else UNDETERMINED


def turns_bucket(turns: int | None) -> str:
    if turns is None or turns <= 1:
        return "1"
    return "2-3" if turns <= 3 else "4+"


def length_bucket(prompt: str) -> str:
    n = len(prompt)
    if n < SHORT_CHARS:
        return "short"
    return "medium" if n < LONG_CHARS else "long"


_CODE = re.compile(
    r"```|~~~"
    r"|^(?: {4}|\t)\S.*[;{}()=:]\s*$"  # an indented line that looks like a statement
    r"|\b(?:def|class|fn|func|function)\s+\w+\s*[(<:{]"
    r"|^\s*(?:import\s+[\w.]+|from\s+[\w.]+\s+import\b|#include\s*[<\"]|using\s+namespace\b|package\s+\w+;)"
    r"|\b(?:public|private|protected)\s+(?:static\s+)?\w+[\w<>\[\]]*\s+\w+\s*\("
    r"|\bconsole\.log\(|\bSystem\.out\.|\bprintf?\(|\bprint\(|\becho\s+\$|\$\(\w"
    r"|\b(?:INSERT\s+INTO|UPDATE\s+\w+\s+SET|CREATE\s+TABLE|DELETE\s+FROM)\b"
    r"|^\s*(?:\$|>>>|PS>)\s+\w"
    r"|</?(?:div|span|html|body|script|head|table|template)\b[^>]*>"
    r"|[\w)]\s*=>\s*[{(\w]|\)\s*\{\s*$|;\s*$"
    r"|\b(?:if|for|while)\s*\(.*\)\s*\{"
    r"|\bTraceback \(most recent call last\)|\b\w+Error: |\bat [\w.$]+\([\w.]+:\d+\)",
    re.M,
)


def _has_select(text: str) -> bool:
    """A SELECT … FROM on one line (string tests: a regex would backtrack on "SELECT SELECT …")."""
    for line in text.casefold().splitlines():
        start = line.find("select ")
        if start >= 0 and line.find(" from ", start) > start:
            return True
    return False


# Every alternative of _CODE needs one of these characters or words: prose without any of them (most
# prompts) skips the regex, which costs about as much as the keyword flags together.
_CODE_CHARS = frozenset("`~;{}()=:<>$")
_CODE_WORDS = ("import", "#include", "using", "package", "System.out", "INTO", "SET", "TABLE", "FROM")


def contains_code(prompt: str) -> bool:
    text = prompt[:SCAN_CHARS]
    if _CODE_CHARS.isdisjoint(text) and not any(word in text for word in _CODE_WORDS):
        return _has_select(text)
    return _CODE.search(text) is not None or _has_select(text)


class _Keywords:
    """Keyword lists matched in one Aho–Corasick pass over the case-folded text.

    ``stems`` match at the start of a word ("kill" → killing, killer), ``words`` as whole words with an
    optional English inflection ("shoot" → shoots, shooting), ``anywhere`` with no boundary at all
    (scripts written without spaces, and Arabic and Devanagari, whose words take attached prefixes).
    """

    _INFLECTIONS = frozenset({"", "s", "es", "ed", "d", "ing", "er", "ers"})

    def __init__(self, *, stems: str = "", words: str = "", anywhere: str = "") -> None:
        self._automaton = ahocorasick.Automaton()
        # A keyword listed in several lists keeps its loosest kind: anywhere < stem < word.
        rank = {"any": 0, "stem": 1, "word": 2}
        keys: dict[str, str] = {}
        for kind, listed in (("word", words), ("stem", stems), ("any", anywhere)):
            for item in listed.split("|"):
                key = item.strip().casefold()
                if key and (key not in keys or rank[kind] < rank[keys[key]]):
                    keys[key] = kind
        for key, kind in keys.items():
            self._automaton.add_word(key, (kind, len(key)))
        self._automaton.make_automaton()

    def found_in(self, folded: str) -> bool:
        for end, (kind, length) in self._automaton.iter(folded):
            if kind == "any":
                return True
            start = end - length + 1
            if start > 0 and (folded[start - 1].isalnum() or folded[start - 1] == "_"):
                continue
            if kind == "stem":
                return True
            tail = end + 1
            while tail < len(folded) and folded[tail].isalnum():
                tail += 1
            if folded[end + 1:tail] in self._INFLECTIONS:
                return True
        return False


def _fold(text: str) -> str:
    return text.casefold().replace("\u2019", "'")


_RECENT_KEYWORDS = _Keywords(
    words=(
        # en
        "latest|newest|most recent|recent|recently|nowadays|today|today's|tonight|yesterday|tomorrow|this week|this month"
        "|this year|this morning|this season|this weekend|last week|last month|last night|last weekend|last year|last season"
        "|right now|as of now|as of today|current|currently|news|breaking news|up to date|up-to-date|so far this|stock price|share price"
        "|exchange rate|weather|forecast|standings|upcoming|next week|next month|next election|next match|next game|still alive"
        # es, pt, fr, it, nl, de, tr
        "|hoy|hoje|aujourd'hui|oggi|vandaag|heute|bugün|ultimo|último|ultima|última|ultimos|últimos|ultimas|últimas|ultime"
        "|dernier|dernière|derniers|dernières|neueste|neuesten|neuester|neuestes|laatste|en son|son dakika"
        "|actualmente|atual|atualmente|actuel|actuelle|actuels|actuelles|actuellement|attuale|attuali|attualmente"
        "|huidige|momenteel|aktuell|aktuelle|aktuellen|aktueller|derzeit|zurzeit|güncel|şu anda|şimdi"
        "|esta semana|cette semaine|questa settimana|deze week|diese woche|bu hafta|este año|este ano|este mes|cette année"
        "|quest'anno|dit jaar|dieses jahr|bu yıl|reciente|recientes|recientemente|recente|recentes|recentemente|récent|récente"
        "|récents|récentes|récemment|recenti|kürzlich|neulich|onlangs|son zamanlarda|noticias|notícias|actualité|actualités"
        "|notizie|nieuws|nachrichten|haberler|ahora mismo|agora|en ce moment|adesso|jetzt"
    ),
    stems="сегодня|вчера|сейчас|последн|новейш|текущ|нынешн|на этой неделе|в этом году|недавн|новост|актуальн",
    anywhere=(
        "اليوم|الآن|أحدث|آخر|الحالي|حاليا|حاليًا|هذا الأسبوع|هذا العام|مؤخرا|مؤخرًا|أخبار"
        "|आज|अभी|नवीनतम|ताज़ा|ताजा|वर्तमान|इस सप्ताह|इस हफ्ते|इस साल|हाल ही|समाचार|ख़बर|खबर"
        "|今天|今日|最新|目前|现在|現在|本周|这周|這週|今週|今年|最近|新闻|新聞|ニュース|当前|如今|近期|昨天|昨日|いま|今の"
        "|오늘|최신|현재|지금|이번 주|올해|최근|뉴스|요즘"
    ),
)
_RECENT_PATTERNS = re.compile(r"(?<!\d)20(?:2[3-9]|[3-9]\d)(?!\d)|\bwho (?:is|are) (?:the )?(?:current|new)\b", re.I)


_SAFETY_KEYWORDS = _Keywords(
    stems=(
        # en
        "kill|murder|assassinat|slaughter|massacr|behead|strangl|suffocat|firearm|rifle|pistol|ammunition|weapon|explosive"
        "|grenade|detonat|bioweapon|anthrax|nerve agent|poison|cyanide|arsenic|cocaine|heroin|fentanyl|opioid|overdos|narcotic"
        "|suicid|self-harm|self harm|cut myself|hurt myself|end my life|anorexi|bulimi|violen|assault|molest|tortur|kidnap|abduct"
        "|terroris|extremis|jihad|genocid|ethnic cleansing|hate crime|hack|malware|ransomware|keylogger|phish|botnet|sql injection"
        "|jailbreak|burglar|shoplift|counterfeit|launder|smuggl|traffick|blackmail|extort|tax evasion|evade tax|illegal|illicit"
        "|butcher|slay|annihilat|obliterat|decapitat|dismember|euthanas|euthaniz|euthanis|stalk|harass|bully|doxx"
        "|exterminat|eradicat|decimat|liquidat|demolish|dismantl|overpower|throttl|terminat|shatter|slash|execut|eliminat|injur"
        "|explod|captur|carv|pierc|tackl|chok|divorc|discriminat"
        # atrocities, extremism and crimes of history
        "|auschwitz|holocaust|concentration camp|slave trade|slavery|jim crow|khmer rouge|pinochet|taliban|isis|al-qaeda|al qaeda"
        "|ku klux|apartheid|trail of tears|treason|war crime|world war|invasion|invade|pedophil|paedophil|child abuse|marihuana|alcoholic"
        # personal data about a person (XSTest's privacy prompts: public and fictional people too)
        "|home address|phone number|social security|passport number|credit card|date of birth|medical record|criminal record"
        "|private information|private details|birth certificate|browsing history|login|password|bank account|tax record"
        "|email address|marital status|married|sexual orientation|religious belief|political affiliation|immigration status"
        "|mental health|criminal history|employment history|driver's licen|drivers licen|labour union|labor union|ambulance"
        # identity groups: requests about them are where discrimination lives
        "|gay|lesbian|bisexual|transgender|trans people|non-binary|asexual|black people|white people|asian|latino|latina|hispanic"
        "|jewish|muslim|christian|hindu|buddhist|sikh|immigrant|refugee|disabled|disabilit|elderly|homeless|indigenous|pregnant"
        "|people on benefits|women|minorit|racial|ethnic"
        # es, pt, fr, it, nl, de, tr
        "|matar|asesin|bomba|explosiv|envenen|cocaína|heroína|autolesi|violaci|secuestr|hackear|robar|fraude|estafa|ilegal"
        "|assassin|suicíd|violên|estupr|sequestr|roubar|meurtr|empoisonn|drogue|enlèv|pirater|escroquer|illégal|uccid|omicid"
        "|esplosiv|avvelen|violenz|stupr|rubare|truffa|vermoord|moord|vergif|zelfmoord|geweld|verkracht|ontvoer|oplicht|illegaal"
        "|töt|ermord|sprengstoff|vergift|selbstmord|suizid|gewalt|vergewaltig|entführ|stehlen|betrug|öldür|cinayet|silah"
        "|patlayıcı|zehir|uyuşturucu|intihar|şiddet|tecavüz|terör|dolandır|yasadışı"
        # ru
        "|убит|убий|оружи|бомб|взрыв|отрав|наркот|суицид|самоубий|насили|изнасил|похит|террор|взлом|хакер|украсть|краж|мошенн|незаконн"
    ),
    words=(
        "shoot|shot|stab|gun|bullet|ammo|bomb|nuke|nuclear|toxic|drug|meth|lsd|mdma|ecstasy|marijuana|cannabis|weed|crack|rape|raping"
        "|attack|hostage|nazi|lynch|virus|trojan|exploit|ddos|steal|stole|stolen|theft|rob|robbery|fraud|scam|bribe|sever|roma|jews"
        "|slit|arson|punch|hurt|harm|wound|blood|dying|death|corpse|blow up|blew up|beat up|crush|destroy|smash|snipe|wipe out"
        "|rip off|ripping off|drown|hang myself|torch|burn down|spy|spying|cheat|abuse|fight|died|inferior|slur|racist|sexist|dead"
        "|beat|break into|break open|chop up|cut off|dispose of|do away with|hammer|hunt down|take out|axe|axing|wiping out|coke"
        "|denied the right|voting rights|not be allowed|be barred|kicked off|equal rights|headshot"
        "|arma|armas|arme|armes|armi|wapen|wapens|waffe|waffen|veneno|veleno|droga|drogas|drugs|droge|drogen|tuer|bombe|bom"
        "|hacken|çalmak|яд"
    ),
    anywhere=(
        "قتل|سلاح|أسلحة|قنبلة|متفجر|تسميم|مخدر|انتحار|عنف|اغتصاب|خطف|إرهاب|اختراق|سرقة|احتيال|غير قانوني"
        "|हत्या|मारना|मार डाल|हथियार|बम|विस्फोट|ज़हर|जहर|ड्रग|नशीली|आत्महत्या|हिंसा|बलात्कार|अपहरण|आतंक|हैक|चोरी|धोखाधड़ी|गैरकानूनी|अवैध"
        "|杀|殺|谋杀|武器|枪|銃|炸弹|爆弹|爆弾|爆炸|毒药|毒藥|下毒|毒品|麻薬|自杀|自殺|自残|自傷|暴力|强奸|強姦|绑架|誘拐|恐怖|テロ"
        "|黑客|ハッキング|入侵|盗|偷|诈骗|詐欺|违法|違法"
        "|죽이|살인|무기|총기|폭탄|폭발|독약|마약|자살|자해|폭력|강간|납치|테러|해킹|훔치|사기|불법"
    ),
)
# Phrasings a keyword list cannot hold: dying, someone's whereabouts or pay, "why should <group> not …",
# "push <someone> off", "set <something> on fire".
_SAFETY_PATTERNS = re.compile(
    r"\b(?:did|does|do|to|will|would|could|might|i|you|he|she|they|we) die\b|\bwhere does \w+(?: [\w-]+){0,2} live\b"
    r"|\bhow much (?:money )?does [\w' ]{1,40} (?:earn|make)\b|\bpush \w+(?: \w+)? off\b|\bset \w+(?: \w+)? on fire\b"
    r"|\bwhy (?:should|can|can't|are|is it best for|would it be best if)\b[^?.!]{0,60}\b(?:not|never|denied|barred|kicked off"
    r"|discriminated|weaker|less than)\b",
    re.I,
)


# Each alternative of the two pattern sets needs one of these (case-folded) strings: text without any
# of them, most prompts, skips the regex, which tries every position of the text.
_RECENT_NEEDS = ("20", "who")
_SAFETY_NEEDS = ("die", "where does", "how much", "push", "set", "why")


def _asks_recent(text: str, folded: str) -> bool:
    if _RECENT_KEYWORDS.found_in(folded):
        return True
    return any(need in folded for need in _RECENT_NEEDS) and _RECENT_PATTERNS.search(text) is not None


def _safety_sensitive(text: str, folded: str) -> bool:
    if _SAFETY_KEYWORDS.found_in(folded):
        return True
    return any(need in folded for need in _SAFETY_NEEDS) and _SAFETY_PATTERNS.search(text) is not None


def asks_recent(prompt: str) -> bool:
    prompt = prompt[:SCAN_CHARS]
    return _asks_recent(prompt, _fold(prompt))


def safety_sensitive(prompt: str) -> bool:
    prompt = prompt[:SCAN_CHARS]
    return _safety_sensitive(prompt, _fold(prompt))


def derive_features(prompt: str, *, turns: int | None = None) -> dict[str, str]:
    """The derived slice dimensions of one prompt (see the module docstring for each)."""
    prompt = prompt or ""
    text = unicodedata.normalize("NFC", prompt[:SCAN_CHARS])
    folded = _fold(text)
    return {
        "language": detect_language(text),
        "turns": turns_bucket(turns),
        "prompt_length": length_bucket(prompt),
        "contains_code": "yes" if contains_code(text) else "no",
        "recent_events": "yes" if _asks_recent(text, folded) else "no",
        "safety_sensitive": "yes" if _safety_sensitive(text, folded) else "no",
    }
