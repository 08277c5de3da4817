"""Does an answer express uncertainty, and does it state a confidence?

``expresses_uncertainty(text)`` is true when the answer hedges: a first-person statement of doubt
("I'm not sure", "I could be wrong", "if I recall correctly"), an epistemic verb or adverb ("I think",
"I believe", "probably", "perhaps", "might", "seems"), or an admission of not knowing, in the 14
product languages (en es fr de pt it nl ru zh ja ko ar hi tr). Boosters ("definitely", "without a
doubt") are not hedges, nor "impossible" / "不可能" (a confident negative). A stated confidence below
``HEDGED_BELOW`` (70 %) also counts.

``stated_confidence(text)`` reads an explicit confidence: "Confidence: 80%", "confidence 0.7",
"I'm 90% sure", "8/10 confident", "Confianza: 80 %", "置信度：80%", … — the last one stated, as a
fraction in [0, 1]; ``None`` when there is none.

Measured with ``bench/hedging.py`` on labelled answers written by others (see the README).
"""

from __future__ import annotations

import re

HEDGED_BELOW = 0.7


def _words(alternatives: str) -> str:
    return r"(?<!\w)(?:" + alternatives + r")(?!\w)"


_HEDGE = re.compile(
    "|".join((
        # en
        _words(
            r"(?:i'?m|i am|we'?re|we are) not (?:(?:entirely|completely|totally|quite|fully|100%|a hundred percent|very|so|too) )?"
            r"(?:sure|certain|positive|confident)"
            r"|unsure|uncertain|uncertainty|not (?:entirely|completely|totally|100%) (?:sure|certain|clear)|can(?:'t|not) be (?:sure|certain)"
            r"|i (?:think|believe|guess|suppose|assume|suspect|reckon|presume|imagine|feel like|doubt|recall|remember)"
            r"|i(?: would|'d) (?:say|guess|assume|think)|i (?:do not|don'?t) (?:know|recall|remember|think)|i(?: have|'ve) no idea|no idea"
            r"|probabl[ey]|possibl[ey]|perhaps|maybe|might|could be|could have|may be|may have|likely|unlikely|presumably|supposedly"
            r"|apparently|seemingly|seems?|seemed|appears? to|allegedly|reportedly|conceivably|arguably|roughly speaking|it'?s possible"
            r"|chances are|if i (?:recall|remember)(?: correctly| right)?|if memory serves|as far as i (?:know|can tell|recall|remember)"
            r"|to (?:the best of )?my (?:knowledge|recollection)|from what i (?:know|recall|remember|understand|can tell|'ve heard|have heard)"
            r"|my (?:understanding|impression|recollection|best guess|guess|hunch|sense) is|i could be (?:wrong|mistaken)|i may be (?:wrong|mistaken)"
            r"|i might be (?:wrong|mistaken)|don'?t quote me|hard to say|difficult to say|not (?:entirely |completely )?clear|i have a (?:feeling|hunch|vague)"
            r"|vaguely|i can'?t (?:recall|remember|confirm|verify|say for sure)|i'?m not aware|not aware of|to my mind|if i'?m not mistaken"
            r"|unless i'?m mistaken|tentative(?:ly)?|speculat\w*|my (?:best )?estimate|best guess|educated guess|rings a bell|comes to mind"
            r"|i'?m inclined to|inclined to (?:think|believe|say)|there'?s a (?:good |fair |decent |strong )?chance|odds are|in all likelihood"
            r"|not 100%|can'?t be sure|cannot be sure|hard to pin down|not definitive|no definitive|unclear|unconfirmed|unverified|questionable"
            r"|i'?m fairly|i'?m pretty|fairly (?:sure|certain|confident)|pretty (?:sure|certain|confident)|reasonably (?:sure|certain|confident)"
            r"|somewhat (?:sure|certain|confident)|not (?:positive|certain|sure)|or so|give or take|if i had to (?:guess|bet|say)"
            r"|believed to|thought to|said to|some sources|according to some|one source|doubtful|not (?:even )?(?:close to )?(?:certain|sure)"
            r"|not in a position|(?:can'?t|cannot|couldn'?t) (?:confidently|reliably|definitively)|recollection|if i'?m remembering|if my (?:information|memory)"
            r"|wouldn'?t (?:bet|rely|stake|swear)|grain of salt|leaning (?:towards|toward)|inkling|i'?d estimate|rough estimate|stretching my memory"
            r"|reaching here|out of thin air|(?:don'?t|do not) feel comfortable|not comfortable|double[- ]check|i'?d want to (?:verify|check)"
            r"|want to say|very little|sparse|unsubstantiated|could it be|could well be|would (?:recommend|need to) consult|incomplete"
            # guesses and long shots
            r"|i'?m guessing|(?:a |my |wild |rough |blind )guess|guessing|hazard a guess|venture a guess|shot in the dark|long shot"
            r"|(?:there'?s|there is) (?:a |some |reason )|possibility|potentially|rumou?red|hesitant|i have (?:a|some) (?:sense|indication|reason)"
            r"|reason to (?:believe|think)|pops? (?:into|in) my (?:head|mind)|in my head|far from (?:certain|sure)|almost certain i'?m wrong"
            r"|(?:low|little|no|limited|some) (?:to no )?confidence|my confidence (?:in this|here) is|not (?:very |at all |really )?confident"
            r"|sketchy|not well[- ]sourced|can'?t (?:confirm|verify|say for sure|be certain)|cannot (?:confirm|verify|say for sure)"
            # not knowing, declining for lack of knowledge
            r"|i (?:really )?(?:do not|don'?t) (?:have|know|possess)|i (?:have|'ve) no (?:knowledge|information|data|record|clue|way)"
            r"|(?:don'?t|do not) have (?:any|enough|that|the|reliable|this|sufficient|specific|access)|no (?:reliable |specific )?information"
            r"|not available (?:to me|in my)|knowledge base|outside (?:of )?my|beyond my|i'?m (?:unable|not able|not equipped)|i am (?:unable|not able)"
            r"|unable to (?:find|provide|confirm|verify|determine|answer|say|recall)|i (?:can'?t|cannot) (?:provide|find|answer|give|determine|say)"
            r"|i'?m (?:afraid|sorry),? (?:but )?(?:i (?:don'?t|do not|can'?t|cannot|have no|am not|'m not)|that|this)|i'?ll pass|refrain from|would (?:need|have) to (?:check|verify|look)|at a (?:complete )?loss|no clue"
        ),
        # es, pt
        _words(
            r"no estoy (?:del todo |completamente |muy )?segur[oa]|no (?:lo )?sé|creo que|pienso que|supongo|quizás?|tal vez|a lo mejor"
            r"|probablemente|posiblemente|puede que|podría(?:n)? ser|parece(?:r[íi]a)?|al parecer|según tengo entendido|si no me equivoco"
            r"|que yo sepa|si mal no recuerdo|es posible que|no tengo certeza|no estoy convencid[oa]|me parece"
            r"|não tenho (?:certeza|a certeza)|não estou (?:seguro|segura|certo|certa)|não sei|acho que|creio que|penso que|talvez|provavelmente"
            r"|possivelmente|pode ser|parece(?: que)?|suponho|ao que parece|até onde sei|se não me engano|que eu saiba|é possível que|poderia ser"
        ),
        # fr, it
        _words(
            r"je ne suis pas (?:tout à fait |complètement |très |entièrement )?(?:sûr|sûre|certain|certaine)|pas (?:sûr|certain)|je ne sais pas"
            r"|je pense que|je crois que|peut-être|probablement|il se peut|il est possible|sans doute|il semble|il me semble|semble-t-il"
            r"|apparemment|je suppose|à ma connaissance|si je me souviens bien|sauf erreur|si je ne me trompe pas|pourrait être|vraisemblablement"
            r"|non sono (?:del tutto |completamente |molto )?(?:sicur[oa]|cert[oa])|non (?:lo )?so|penso che|credo che|forse|probabilmente"
            r"|possibilmente|può darsi|potrebbe(?:ro)? essere|sembra(?:no)?|pare che|suppongo|a quanto mi risulta|per quanto ne so"
            r"|se non sbaglio|se ricordo bene|è possibile che|immagino"
        ),
        # de, nl
        _words(
            r"ich bin mir nicht (?:ganz |sehr |völlig )?sicher|nicht (?:ganz )?sicher|ich glaube|ich denke|ich vermute|vielleicht"
            r"|wahrscheinlich|möglicherweise|vermutlich|eventuell|könnte|scheint|anscheinend|offenbar|soweit ich weiß|wenn ich mich (?:recht|richtig) erinnere"
            r"|ich weiß (?:es )?nicht|keine ahnung|unsicher|womöglich|angeblich"
            r"|ik weet het niet(?: zeker)?|niet (?:helemaal )?zeker|ik denk|ik geloof|ik vermoed|misschien|waarschijnlijk|mogelijk(?:erwijs)?"
            r"|wellicht|zou kunnen|lijkt|blijkbaar|voor zover ik weet|als ik me goed herinner|vermoedelijk|geen idee"
        ),
        # tr
        _words(
            r"emin değilim|tam emin değilim|sanırım|galiba|belki|muhtemelen|olabilir|herhalde|bildiğim kadarıyla|yanılmıyorsam"
            r"|bilmiyorum|gibi görünüyor|tahmin ediyorum|düşünüyorum|zannediyorum|olası|büyük ihtimalle|sanki"
        ),
        # ru (stems), ar, hi
        r"(?i:не уверен\w*|не совсем уверен\w*|я думаю|мне кажется|кажется|наверное|наверно|возможно|вероятно|может быть|по-видимому"
        r"|видимо|похоже|насколько я знаю|если (?:я )?не ошибаюсь|не знаю|предположительно|скорее всего|по-моему)",
        r"لست متأكد|غير متأكد|لست متيقن|أعتقد|أظن|ربما|قد يكون|من المحتمل|على الأرجح|يبدو|لا أعرف|لا أدري|حسب علمي|على حد علمي"
        r"|إن لم أكن مخطئ|إذا لم أكن مخطئ|على ما أذكر|محتمل",
        r"मुझे यकीन नहीं|यकीन नहीं|पक्का नहीं|निश्चित नहीं|मुझे लगता है|शायद|संभवतः|संभव है|हो सकता है|मेरे ख्याल से|मेरे ख़्याल से"
        r"|मेरे विचार से|मुझे नहीं पता|जहां तक मुझे पता|जहाँ तक मुझे पता|जहां तक मैं जानता|लगता है|मेरा अनुमान",
        # zh, ja, ko (no spaces; "不可能" is a confident "impossible")
        r"不确定|不太确定|不敢肯定|不能确定|无法确定|我认为|我觉得|我猜|(?<!不)可能|也许|或许|大概|似乎|好像|据我所知|如果我没记错|我不知道|不清楚|估计|应该是|恐怕"
        r"|不確定|不太確定|無法確定|我認為|我覺得|據我所知|如果我沒記錯"
        r"|わかりません|分かりません|確かではありません|確信がありません|自信がありません|たぶん|多分|おそらく|恐らく|かもしれ|と思います|と思う"
        r"|ようです|ような気がします|らしい|でしょう|だろう|私の知る限り|記憶が正しければ|はっきりしません|定かではありません"
        r"|확실하지 않|확실치 않|잘 모르겠|모르겠습니다|모르겠어요|아마|것 같습니다|것 같아요|것 같다|수도 있습니다|수도 있어요|수도 있다"
        r"|제가 알기로는|제 기억이 맞다면|생각합니다|생각해요|추측|듯합니다|듯해요|듯하다",
    )),
)  # matched against lower-cased text: twice as fast as re.IGNORECASE over this many alternatives

# Turkish writes the percent sign first ("%70"); a number above 1 is read as a percentage anyway.
_NUMBER = r"(?:[%％]\s*)?(\d{1,3}(?:[.,]\d+)?)\s*(%|％|/\s*10(?:0)?(?!\d)|percent|por ?ciento|pour ?cent|prozent|per ?cento|procent|процент\w*)?"
_CONFIDENCE_WORDS = (
    r"confidence(?: level| score)?|certainty|confianza|confiança|confiance|certitude|fiducia|certezza|konfidenz|sicherheit|zuversicht"
    r"|zekerheid|vertrouwen|güven(?: düzeyi)?|eminlik|уверенность|достоверность|الثقة|مستوى الثقة|विश्वास|置信度|信心|确信度|確信度|自信度|信頼度"
    r"|확신도|신뢰도|확신"
)
_STATED = re.compile(
    r"(?:" + _CONFIDENCE_WORDS + r")\s*(?:level|score|:|：|=|is|of|is about|:?\s*~|about|around|roughly)?\s*[:：=~≈]?\s*(?:about |around |~)?"
    + _NUMBER
    + r"|(?:i'?m|i am|we'?re)\s+(?:about\s+|around\s+|roughly\s+)?" + _NUMBER + r"\s+(?:sure|certain|confident|positive)"
    + r"|" + _NUMBER + r"\s+(?:sure|certain|confident|confidence|seguro|segura|sûr|sûre|sicher|zeker|sicuro|sicura|certo|certa|emin|уверен\w*)",
    re.I,
)


def _fraction(value: str, unit: str | None) -> float | None:
    number = float(value.replace(",", "."))
    unit = (unit or "").replace(" ", "").lower()
    if unit.startswith("/10") and not unit.startswith("/100"):
        number = number / 10
    elif unit or number > 1:
        number = number / 100
    return number if 0.0 <= number <= 1.0 else None


def stated_confidence(text: str | None) -> float | None:
    """The last explicitly stated confidence in ``text`` as a fraction in [0, 1], or ``None``."""
    if not text:
        return None
    found: float | None = None
    for match in _STATED.finditer(text):
        groups = match.groups()
        for index in range(0, len(groups), 2):
            if groups[index] is not None:
                value = _fraction(groups[index], groups[index + 1])
                if value is not None:
                    found = value
                break
    return found


def expresses_uncertainty(text: str | None) -> bool:
    """True when the answer hedges or states a confidence below ``HEDGED_BELOW``."""
    if not text:
        return False
    if _HEDGE.search(text.lower().replace("\u2019", "'")) is not None:
        return True
    confidence = stated_confidence(text)
    return confidence is not None and confidence < HEDGED_BELOW
