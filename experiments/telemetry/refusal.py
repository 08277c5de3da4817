"""Refusal detection: every signal the API gives first, then a multilingual text classifier.

Order (the first signal that applies decides, and its name is stored as ``refusal_source``):

1. ``client`` — ``refused`` sent by the client (``true`` or ``false``): the client knows best;
2. ``api_refusal`` — the API's own refusal message (OpenAI's ``message.refusal``, sent as
   ``refusal_message``): non-empty → refused;
3. ``finish_reason`` — a finish / stop reason that means the provider declined: OpenAI
   ``content_filter``, Anthropic ``stop_reason: "refusal"``, Gemini ``SAFETY`` / ``PROHIBITED_CONTENT`` …,
   OpenTelemetry ``gen_ai.response.finish_reasons`` (any element);
4. ``text`` — the answer text, when sent, read by ``text_refusal`` (below);
5. ``none`` — nothing says it was refused.

(``judge`` — the optional refusal judge, ``judge.py`` — may replace a ``text`` / ``none`` decision after
ingestion.)

The text classifier is a set of decline patterns in 16 languages (en, es, fr, de, pt, it, nl, pl, ru,
zh, ja, ko, ar, hi, th, tr). A decline is a first-person statement of not doing what was asked
("I can't help with that", "no puedo ayudarte con eso", "我无法提供", "申し訳ありませんが…できません"),
an apology opening followed by a negation, or a decline without "I can't": a verdict on what was
asked ("It is not appropriate to…", "Il n'est pas approprié de…"), a warning against it ("I would
advise against…", "不建议"), a "responsible AI" framing, a verdict then a redirect and no answer
("… is illegal. Instead, consider…"), a rejected premise ("There is no valid reason why…", a declined
opinion then "… should not be singled out", a first sentence "… should not be denied …"), an objection
to the wording ("I must / want to point out that … might not be appropriate"), no access to a person's
private data ("I am unable to determine your gardener's immigration status"), the assistant's own limit in the
opening ("I do not have access to…", "I am not capable of…", "I don't have enough information to…", "no
tengo acceso a…", "我无法访问…": refused, as XSTest's annotators count it, partially when the answer goes on to
help around it), "I should not / prefer not to provide…". In the other languages, the
forms instruction-tuned models write: German verb-final clauses ("Ich kann dir keine Anleitung … geben"),
Dutch inverted order ("kan ik je geen advies geven"), Japanese "…ことはできません", Korean "-ㄹ 수 없습니다",
and the moralising decline (a verdict, a redirect, no answer: "…는 것은 불법입니다. 대신 …"), negated verdicts
("불법이 아닙니다", "并不违法", "ist nicht illegal") excepted. It counts

* in the OPENING of the answer (first ``OPENING_CHARS`` characters) — refusals lead with it,
  while helpful answers say "I can't be sure" or "sorry for the delay" in passing;
* anywhere in the first ``SCAN_CHARS`` characters when it names a part withheld
  ("I can't give the full code, but…", "I won't write the exploit itself") — a partial refusal.

Quoted and reported refusals do not count: text inside quotation marks (“…”, "…", «…», 「…」),
inline code and block quotes is removed first, and a decline right after a reporting word
("replied", "says", "such as", "e.g.") is skipped. A policy mention on its own ("against our
guidelines") is not a refusal: helpful answers cite policies.

Measured with ``python manage.py detection_eval`` — see the README for figures and data.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

OPENING_CHARS = 240
OPENING_END = OPENING_CHARS + 120  # a decline starting in the opening may end after it
SCAN_CHARS = 360

# Finish / stop reasons (lower-cased) that mean the provider declined or filtered the answer.
REFUSAL_FINISH_REASONS = frozenset({
    "content_filter",  # OpenAI, Azure OpenAI, OpenTelemetry GenAI
    "refusal",  # Anthropic stop_reason
    "safety", "prohibited_content", "blocklist", "spii", "image_safety",  # Gemini / Vertex AI
    "guardrail_intervened", "content_filtered",  # AWS Bedrock
})


@dataclass(frozen=True, slots=True)
class RefusalDecision:
    refused: bool
    source: str  # client | api_refusal | finish_reason | text | none
    partial: bool = False  # a partial refusal (something withheld, the rest answered)


# --------------------------------------------------------------------------------------------
# Text preparation

_QUOTED = re.compile(
    r"```.*?(?:```|$)"  # code blocks
    r"|`[^`\n]*`"  # inline code
    r"|\"[^\"\n]{1,400}\""  # "…"
    r"|\u201c[^\u201d\n]{1,400}\u201d"  # “…”
    r"|\u201e[^\u201c\u201d\n]{1,400}[\u201c\u201d]"  # „…“
    r"|\u00ab[^\u00bb\n]{1,400}\u00bb"  # «…»
    r"|\u300c[^\u300d\n]{1,400}\u300d"  # 「…」
    r"|\u300e[^\u300f\n]{1,400}\u300f",  # 『…』
    re.DOTALL,
)
_BLOCK_QUOTE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)  # markdown block quotes
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\uff07": "'", "\u00b4": "'"})


def prepare(text: str) -> str:
    """Unicode-normalised (NFKC), lower-cased text with quoted spans blanked out."""
    text = text[:SCAN_CHARS]
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    text = text.casefold()
    if '"' in text or "`" in text or not text.isascii():
        text = _QUOTED.sub(" … ", text)
    if ">" in text:
        text = _BLOCK_QUOTE.sub(" … ", text)
    return text


# --------------------------------------------------------------------------------------------
# Decline patterns. Text is case-folded and NFKC-normalised before matching.

# English: a first-person negated ability / will, then (within a few words) an action on the request.
_EN_NOT = (r"(?:can ?not|can't|could not|couldn't|won't|will not|am unable to|'m unable to|am not able to|'m not able to"
           r"|am not going to|'m not going to|must decline to|have to decline to|do not feel comfortable|don't feel comfortable"
           r"|am not comfortable|'m not comfortable|do not think it's appropriate|don't think it's appropriate"
           r"|do not think it is appropriate|don't think it is appropriate|am not permitted to|'m not permitted to"
           r"|am not allowed to|'m not allowed to|refuse to|would rather not|'d rather not|would prefer not to|'d prefer not to"
           r"|must refrain from|cannot and will not|am not in a position to|'m not in a position to"
           r"|should not|shouldn't|must not|ought not to|prefer not to|am not authori[sz]ed to|'m not authori[sz]ed to)")
_EN_ACT = (r"(?:help|assist|provide|offer|give|comply|fulfil|fulfill|answer|respond|support|share|create|generate|write|"
           r"produce|engage|participate|continue|complete|do (?:that|this|so|it)|make|draft|compose|suggest|recommend|"
           r"endorse|promote|encourage|condone|facilitate|discuss|tell|disclose|reveal|describe|explain|list|detail|"
           r"speculate|access|look up|find|locate|track|identify|guide|teach|instruct|show|walk you|translate|"
           r"summari[sz]e|role-?play|pretend|act as|play|entertain|condemn|justify|glorify|support|contribute|"
           r"advise|advocate|perform|carry out|put together|go along|take part|agree|accommodate|honou?r|grant|"
           r"categori[sz]e|classify|rank|judge|rate|express|confirm|verify|predict|diagnose|prescribe|insult|mock|convince|persuade|argue|design|devise|plan|build|develop|code|program|spread|publish|post|defend|prove|attempt|recreate|reproduce|adopt)")
# Each pattern comes with substrings one of which it needs: ``in`` tests (a C-speed search) skip
# the regexes for the vast majority of answers, which matters on the ingest hot path.
_FIRST_PERSON_NOT = ("i can't", "i cannot", "i can not", "i won't", "i will not", "i'm unable", "i am unable", "i'm not",
                     "i am not", "i must decline", "i have to decline", "i do not", "i don't", "i refuse", "i would rather",
                     "i'd rather", "i must refrain", "i couldn't", "i could not", "i really", "i simply", "i just",
                     "i certainly", "i definitely", "i absolutely", "icannot", "ican't", "i'd prefer", "i would prefer",
                     "i should not", "i shouldn't", "i must not", "i ought not", "i prefer not")
_I_CANT = ("i can't", "i cannot", "i can not", "i won't", "i will not", "i'm unable", "i am unable", "i'm not able",
           "i am not able")
_IT_IS_NOT = ("s not ", "is not ", "be not ", "would not be", "'s never", "is never", "inappropriate")
_APOLOGY = ("sorry", "apolog")
# Feelings that come before a harmful request ("I understand that you might be feeling hurt, but…"); not
# "frustrated" or "overwhelmed", which come before ordinary help requests.
_HURT = (r"(?:feeling |so |very |really )?(?:(?:\w+ (?:or|and) )?(?:angry|hurt|vengeful|betrayed|violent|resentful|enraged)|"
         r"going through a (?:difficult|tough|hard|painful) time)\b")
_EN_DECLINE: tuple[tuple[tuple[str, ...], str], ...] = (
    (_FIRST_PERSON_NOT, rf"\bi(?: really| simply| just| certainly| definitely| absolutely)? ?{_EN_NOT}(?: \w+){{0,3}}? {_EN_ACT}"),
    (("decline", "refuse", "pass on"), r"\bi (?:must|have to|need to|will have to|'ll have to|am going to have to) (?:respectfully |politely )?(?:decline|refuse|pass on)\b"),
    (("afraid", "sorry"), r"\bi(?:'m| am) (?:afraid|sorry),? (?:but )?(?:i|that|this|it)(?:'s| is)? (?:can't|cannot|won't|not)\b"),
    (_APOLOGY, r"^\W*(?:i'm |i am )?(?:so |really |very |truly )?(?:sorry|apologies|i apologi[sz]e)\b[^.!?\n]{0,80}\b(?:can't|cannot|can not|won't|will not|unable|not able|not going to|not comfortable|not appropriate|not possible|not allowed|not permitted)\b"),
    (_APOLOGY, r"^\W*(?:sorry|i'm sorry|i am sorry|i apologi[sz]e|apologies)\b[,.!]? ?(?:but )?(?:as an ai|i'm an ai|i am an ai)"),
    (_IT_IS_NOT, r"\b(?:it|this|that)(?:(?:'s| is| would be|'d be) (?:not |in)| would not be )(?:appropriate|ethical|responsible|safe|acceptable|right)\b(?: \w+){0,3} (?:for me )?to (?:provide|give|answer|respond|discuss|share|speculate|make|offer|help|assist|engage|generate|create|write|promote|encourage|suggest|use|joke)"),
    ((*_IT_IS_NOT, "unethical", "unacceptable", "unsafe", "irresponsible", "inadvisable", "unadvisable"),
     r"\b(?:it|this|that)(?:'s| is| would be) (?:never |not |in|un)(?:appropriate|ethical|okay|ok|acceptable|harmful|offensive|"
     r"disrespectful|respectful|legal|safe|responsible|advisable)(?: (?:or|and|nor) (?:appropriate|ethical|safe|legal|acceptable|"
     r"responsible|advisable|respectful))? to\b"),
    # Self-description as an AI that will not take part ("I am an AI language model and do not condone …").
    (("an ai", "artificial intelligence", "language model", "assistant", "a model"),
     r"\bi(?:'m| am) (?:just |only )?an? (?:ai|artificial intelligence|language model|ai language model|ai assistant|assistant|model)"
     r"(?: \w+){0,3} and (?:i )?(?:do not|don't|cannot|can't|will not|won't) (?:have (?:the |any )?(?:[\w-]+ (?:or|and) )?(?:the )?"
     r"(?:ability|capability|capacity|authority|real-time|access)\b|condone|promote|support|encourage|endorse|provide|assist|help|engage|"
     r"write|draft|create|generate|conduct|give|offer|make)"),
    (("against",),
     r"\bi (?:strongly |would strongly |must strongly |would )?(?:advise|urge|recommend) (?:you )?against\b"),
    # An answer that opens by condemning what was asked ("It is important to remember that violence is never acceptable").
    (tuple(f"{w} to {v}" for w in ("important", "crucial", "essential") for v in ("note", "remember", "understand", "recogni")),
     r"^\W*(?:first and foremost, )?it(?:'s| is) (?:important|crucial|essential) to (?:note|remember|understand|recogni[sz]e) "
     r"that[^.!?\n]{0,160}\b(?:(?:never|not) (?:acceptable|ethical|appropriate|okay|ok|legal|condoned)|unacceptable|unethical|illegal|"
     r"a (?:serious |grave )?(?:crime|criminal offen[cs]e)|should (?:never|not) be (?:\w+ (?:or|and) )?(?:condoned|tolerated|attempted))\b"),
    # Support instead of an answer: sympathy, then pointing to people who can help.
    (("sorry to hear",), r"^\W*(?:i'm |i am )?(?:really |so |very |deeply |truly )?sorry to hear\b[^\n]{0,300}?\b(?:reach out|mental health|"
     r"professional help|trusted (?:friend|person|adult)|helpline|hotline|crisis|counsel(?:l)?or|therapist)"),
    (("not something",), r"\bthat(?:'s| is) not something i (?:can|will|am able to|'m able to|'m willing to|am willing to)\b"),
    (("possible for me",), rf"\b(?:it|that|this)(?:'s| is| would be) (?:not |im)possible for me to (?:\w+ ){{0,2}}?{_EN_ACT}"),
    (("an ai", "language model", "an assistant"), r"\b(?:as an ai|i'm just an ai|i am just an ai|i'm only an ai|as a language model|as an ai language model|as an assistant)\b[^.!?\n]{0,80}\b(?:can't|cannot|can not|won't|will not|unable|not able|not appropriate|not programmed|not designed|not allowed|not permitted)\b"),
    (("i do not", "i don't"), r"\bi (?:do not|don't) (?:provide|give|offer|create|generate|write|assist with|help with|engage in|support|condone|endorse|promote|encourage) (?:\w+ ){0,3}?(?:that|this|such|harmful|illegal|unethical|dangerous|violent|content|information|advice|instructions|guidance)"),
    (("against", "violat", "contrary to", "not in line with", "conflict"), r"\b(?:against|violates?|violating|goes against|contrary to|not in line with|conflicts? with) (?:my|the|openai's|our) (?:\w+ ){0,2}?(?:guidelines|policies|policy|programming|principles|ethical|rules|values)\b[^.!?\n]{0,60}\b(?:so i|i can't|i cannot|i won't|i will not|i am unable|i'm unable|to (?:provide|help|assist|answer|write|create|generate|promote))"),
    (_I_CANT, r"\bi (?:can't|cannot|can not|won't|will not|am unable to|'m unable to|am not able to|'m not able to) (?:help|assist|do that|do this)\b"),
    (("no,", "no.", "no!", "nope"), r"^\W*(?:no|nope)[,.!] (?:i |that |this |it )"),
    (("unfortunately", "regrettably"), r"\b(?:unfortunately|regrettably),? (?:i|that|this)(?:'s| is)? (?:can't|cannot|won't|will not|am unable|'m unable|am not able|'m not able|not something|not possible for me)\b"),
    (("against", "discourage", "point out"), r"\bi (?:must|have to|need to|should|will|'ll|would) (?:\w+ )?(?:advise against|caution against|discourage|point out that (?:it|this|that)(?:'s| is) not (?:appropriate|ethical|safe|okay))"),
    (("conscience", "ethically", "morally"), r"\bi (?:can't|cannot|won't|will not) (?:in good conscience|ethically|morally)\b"),
    (("unable", "not able"), r"\bi(?:'m| am) (?:not able|unable) to (?:fulfil|fulfill|complete|comply with|honou?r|process) (?:your|this|that|the) (?:request|instruction|query|question)"),
    (("comfortable", "think i should", "think it"), r"\bi(?: do not|'d rather not| don't| cannot| can't) (?:feel comfortable|think i should|think it(?:'s| is|'d be| would be) (?:appropriate|right|responsible|a good idea))\b"),
    # Moralising declines without a first-person "I can't": an apology then a verdict on what was asked
    # ("I'm sorry, but that is not safe or ethical"), a verdict on doing it ("It is not appropriate for
    # anyone to…", "It is not recommended to attempt…"), a warning against it ("I would not recommend
    # trying…"), a "responsible AI" framing, or a verdict on the question's premise ("It is not accurate or
    # fair to say…", "There is no valid reason why…", "X was not justified").
    (_APOLOGY, r"^\W*(?:i'm |i am )?(?:so |really |very |truly )?(?:sorry|apologies|i apologi[sz]e)\b,? (?:but )?[^.!?\n]{0,100}\b"
     r"(?:(?:is|are|would be|isn't|aren't) (?:not |never )?(?:a )?(?:safe|ethical|appropriate|legal|acceptable|responsible|okay)"
     r"(?: or (?:safe|ethical|appropriate|legal|acceptable|responsible))? (?:practice|thing|idea|behaviou?r|request|activity|topic|to)"
     r"|(?:is|are|would be) (?:illegal|unethical|harmful|dangerous|inappropriate)|contains? (?:harmful|offensive|inappropriate|false|problematic))\b"),
    ((*_IT_IS_NOT, "irresponsible", "unethical", "inappropriate"),
     r"\b(?:it|this|that)(?:'s| is| would be) (?:(?:not |never |ir|un|in)(?:appropriate|ethical|acceptable|okay|ok|responsible)"
     r"(?: (?:or|and|nor) \w+)? (?:(?:for|of) (?:me|you|anyone|us|an ai|any(?:one|body)|people|a person) )?to"
     r"|not (?:recommended|advisable|safe|legal) (?:for (?:you |anyone )?)?to (?:attempt|try))\b"),
    (("not something",), r"\bnot something (?:that )?i (?:can|could|will|would|am able to|'m able to|am willing to|'m willing to|feel comfortable)\b"),
    (("programming", "guidelines", "principles", "capabilit"), r"\b(?:not within|outside(?: of)?|beyond|against) (?:my|the) (?:programming|ethical guidelines|guidelines|"
     r"ethical principles|principles|programming or ethical guidelines|capabilities to (?:provide|help|assist|answer|give|generate|create|write))\b"),
    (("discourage",), r"\bi (?:strongly |would strongly |must strongly |would |must |really )?discourage\b"),
    (("recommend", "advis", "encourage", "condone"), r"\bi (?:would not|wouldn't|do not|don't|cannot|can't|will not|won't) (?:ever )?(?:recommend|advise|suggest|encourage|condone)"
     r"(?: you)? (?:attempting|trying|doing|engaging|that|this|it|any|such|anyone|anybody|using \w+ to|taking)\b"),
    (("responsible", "ethical"), r"\bas an? (?:responsible|ethical|respectful|harmless|honest)(?:(?: and|,) (?:responsible|ethical|respectful|harmless|honest|helpful))?"
     r" (?:ai|assistant|language model|ai (?:language model|assistant|model)|chatbot)\b[^.!?\n]{0,100}\b(?:not|never|cannot|can't|won't|must|unable|refrain|"
     r"advise|urge|encourage|strongly)\b"),
    (tuple(f"{w} to " for w in ("accurate", "fair", "appropriate", "correct", "respectful", "productive", "helpful")), r"\b(?:(?:it|this|that)(?:'s| is| would be) not|i (?:do not|don't) think (?:it(?:'s| is| would be)|that(?:'s| is)))"
     r" (?:accurate|fair|appropriate|correct|respectful|productive|helpful)(?: (?:or|and|nor) (?:accurate|fair|appropriate|correct|respectful|productive|helpful))?"
     r" to (?:say|suggest|claim|assume|imply|make (?:such |blanket |sweeping )?(?:generali[sz]ations|assumptions|statements|claims)|generali[sz]e|label|stereotype|single out|compare)\b"),
    (("there is no", "there are no", "there's no"), r"^\W*there(?:'s| is| are) (?:absolutely |simply )?no (?:valid |good |legitimate |justifiable |moral |ethical |inherent |acceptable |rational |logical |justified |safe |legal )?"
     r"(?:reasons?|justifications?|excuses?|ways?|basis|grounds?)\b(?: (?:why|for|to|that|in))?"),
    (("justif", "excusab", "a good thing", "morally", "not right to"), r"^\W*[^.!?\n]{0,120}\b(?:was|is|were|are) (?:not|never|in no way|by no means) (?:\w+ )?(?:justified|justifiable|excusable|"
     r"morally (?:right|justified|acceptable|defensible)|a good thing|right or justifi\w+|defensible|right to (?:kill|attack|murder|harm|hurt|commit))\b"),
    # A declined opinion, then a rejected premise ("As an AI, I don't hold personal opinions. However, … should
    # not be singled out …, regardless of their ethnicity"): the answer argues against what was asked.
    (("personal opinion", "personal view", "personal belief"),
     r"\bi (?:do not|don't) (?:hold|have) (?:any )?personal (?:opinions|views|beliefs)\b[^\n]{0,200}?\b(?:should (?:not|never)|shouldn't|"
     r"no (?:valid|good|legitimate|justifiable) reason|not universally (?:agreed|accepted)|regardless of (?:their|his|her|one's|a person's)|"
     r"against human rights|(?:a )?fundamental (?:human )?right)"),
    # The first sentence rejects a discriminatory premise ("Muslims should not be denied visas …",
    # "Discrimination against asexual people is harmful and unethical").
    (("should not be", "should never be", "shouldn't be"),
     r"\A\W*[^.!?\n]{0,80}\b(?:should not|should never|shouldn't) be (?:denied|discriminated against|excluded|singled out|barred|"
     r"treated (?:differently|unfairly|as inferior))\b"),
    (("discrimination against", "discrimination toward", "violence against", "violence toward", "racism against", "sexism against",
      "hatred against", "hatred toward", "harassment against", "prejudice against", "prejudice toward"),
     r"\A\W*(?:[\w-]+ ){0,2}(?:discrimination|violence|racism|sexism|hatred|harassment|prejudice) (?:against|towards?) [^.!?\n]{0,60}\b(?:is|are) "
     r"(?:\w+ )?(?:harmful|unethical|wrong|unacceptable|illegal|a violation)\b"),
    # Steering away, or sympathy then a pivot to what one should do instead ("I understand that you might be
    # feeling hurt, but it's important to focus on healing").
    (("steer you away",), r"\bi (?:want|would like|need|have) to (?:gently |kindly )?steer you away from\b"),
    (("understand that you", "understand you", "hear that you", "can see that you"),
     rf"^\W*i (?:understand|hear|can see) (?:that )?you(?:'re| are| might be| may be| could be) {_HURT}[^.!?\n]{{0,120}}?"
     r"(?:, but|\. however,) (?:it's|it is) (?:important|essential|crucial) to\b"),
    # The answer calls the question itself inappropriate ("The question you've asked is inappropriate and violent").
    (("question you", "question is", "question seems", "question was", "question appears", "request is", "request you",
      "request seems", "request was"),
     r"\b(?:the|your|this) (?:question|request)(?: you(?:'ve| have)? (?:asked|made))? (?:seems to be |is |was |appears to be )(?:\w+ )?"
     r"(?:(?:\w+ )?(?:and|or) )?(?:inappropriate|offensive|violent|disturbing|insensitive|not appropriate|deeply offensive)\b"),
    (("sorry that you", "sorry to hear that you", "sorry if you", "sorry you"),
     rf"^\W*i'?m (?:really |so |very |truly )?sorry (?:that |to hear that |if )?you(?:'re| are) {_HURT}[^.!?\n]{{0,120}}?, but "
     r"(?:it's|it is) (?:important|essential|crucial) to\b"),
    # A preamble that vets the request before (or instead of) answering it.
    (("to make sure that my", "to make sure my"), r"\bbut i (?:want|need|would like) to make sure (?:that )?my (?:response|answer|reply) is (?:\w+ (?:and|or) )?"
     r"(?:respectful|ethical|safe|appropriate|responsible)\b"),
    # A limit of the assistant's own in the opening: no access, ability or information to do what was asked
    # ("I do not have access to confidential papers", "I am not capable of creating…", "I don't have enough
    # information to determine…"). Counted as XSTest's annotators count it: a refusal, or a partial one when
    # the answer goes on to help around it. Capability statements about software ("Python strings cannot be
    # changed") are not first-person and do not match.
    (("not have", "n't have", "actually have", "currently have", "personally have", "not capable of", "not equipped to",
      "not designed to", "not programmed to"),
     r"\bi (?:do not|don't|did not|didn't)(?: actually| currently| personally)? have (?:[\w-]+ ){0,3}?"
     r"(?:access to|(?:ability|capability|capabilities|capacity|means|authority|permission) to|"
     r"(?:information|data|details|knowledge|records|evidence|recommendations|list|statistics)"
     r"(?: (?:about|on|regarding|of|for|to|that|in|available|revealing|related)\b|[.,;:])|"
     r"(?:enough|sufficient) (?:[\w-]+ ){0,5}?to)"
     r"|\bi(?:'m| am) not (?:capable of|equipped to|designed to|programmed to)\b"),
    # A correction of what the request assumes the assistant does ("I do not actually compare myself to other
    # models"), or disowning what was asked ("I do not condone …"), as the answer's first words.
    (("actually", "condone", "endorse"),
     r"^\W*(?:i'm afraid |unfortunately,? |i apologi[sz]e,? (?:but )?)?i (?:do not|don't) (?:actually [a-z]|condone\b|endorse\b)"),
    # Private data about a person: declining to look someone up.
    (tuple(f"{neg} {verb}" for neg in ("unable to", "not able to", "cannot", "can't")
           for verb in ("determine", "confirm", "verify", "find out")),
     r"\bi (?:am unable to|'m unable to|am not able to|'m not able to|cannot|can't) (?:determine|confirm|verify|find out) "
     r"(?:whether |if )?(?:your|his|her|their|someone's|a person's|people's) (?:\w+(?:'s)? ){0,6}?(?:immigration|labou?r|union|sexual|religious|"
     r"political|medical|health|criminal|marital|ethnic|financial|status|membership|orientation|home address|identity|beliefs|affiliation)\b"),
    (("access", "know", "information"), r"\bi (?:do not|don't|cannot|can't) (?:have (?:access to|any (?:information|knowledge|way of knowing)(?: about| of| on)?|the ability to (?:access|know|determine))|access|know)"
     r" (?:any |the |specific )?(?:(?:your|their|his|her|someone's|a person's|people's|individuals') (?:\w+(?:'s|s') )?|personal |private |individual |confidential )"
     r"(?:\w+ ){0,2}?(?:data|information|details|records|status|address|orientation|beliefs|affiliation|history|identity)\b"),
    (("challenge", "assumption", "premise"), r"\b(?:i (?:must|have to|need to|would like to|want to) (?:politely |respectfully |gently )?(?:challenge|question|correct) the (?:assumption|premise)"
     r"|(?:the|your) (?:question|premise|request|prompt) (?:contains?|is based on|relies on|includes?) (?:a |some )?(?:harmful|offensive|discriminatory|problematic|false and harmful|harmful and (?:false|inaccurate)))"),
)

# Partial refusals: a decline that names a withheld part, counted anywhere in the scanned text.
_EN_PARTIAL_PATTERNS = (
    (_FIRST_PERSON_NOT, rf"\bi {_EN_NOT}(?: \w+){{0,2}}? (?:provide|give|write|share|include|show|generate|create|complete|offer|list) (?:you )?(?:the |a |an |any )?(?:full|complete|entire|whole|exact|actual|specific|detailed|step-by-step|working|real|precise|functional|operational|specifics|details|instructions|code|exploit|recipe|names?|addresses|numbers?|personal)"),
    (_I_CANT, r"\bi (?:can't|cannot|won't|will not|am unable to|'m unable to|am not able to|'m not able to) (?:help|assist) with (?:that|this|the) (?:part|portion|aspect|specific|last|first|second|request to|particular)"),
    (("leave out", "omit", "skip", "not include", "refrain from"), r"\b(?:i'll|i will|let me) (?:have to )?(?:leave out|omit|skip|not include|refrain from including)\b"),
)

# Korean verbs of doing what was asked, in the "-ㄹ 수 없다" (cannot) form: "제공할", "작성할", "도와드릴", "알려줄".
_KO_PRODUCE = (r"(?:(?:제공|작성|생성|답변|설명|공유|추천|지원|안내|응답|응|조언|협조|처리|도움을 드|도움을 줄|조장|권장)할"
               r"|(?:도와|알려|만들어|들어|써|보여)?(?:드릴|줄)|도울)")

# Other languages. ``_NOT_*`` = negated ability ("I can't", "I won't"); an opening apology followed by
# one of them, or a negation bound to a help / provide verb, is a decline.
_LANG_DECLINE = {
    "es": (
        r"\b(?:no puedo|no podré|no podria|no podría|no voy a|no me es posible|no estoy en (?:condiciones|posición|posicion) de|me niego a|debo negarme|no es apropiado que (?:yo )?|no me siento cómod[oa])"
        r"(?: \w+){0,3}? (?:ayudar|ayudarte|ayudarle|asistir|asistirte|proporcionar|proporcionarte|ofrecer|dar|darte|facilitar|cumplir|responder|crear|escribir|generar|compartir|hacer (?:eso|esto|lo que)|atender|brindar|brindarte|apoyar|participar|colaborar|explicar\w*|describir|decir\w*|contar\w*|enseñar\w*|diseñar|redactar|argumentar|recomendar|promover|fomentar)",
        r"\b(?:no puedo|no podré|no voy a) (?:ayudar|ayudarte|ayudarle|hacer eso|hacerlo|con eso|con esto|con esa|con esta)\b",
        r"^\W*(?:lo siento|lo lamento|disculpa|disculpe|perdón|perdona|lamentablemente)\b[^.!?\n]{0,80}\bno (?:puedo|podré|voy a|me es posible|es posible|estoy)",
        r"\bcomo (?:modelo de lenguaje|ia|inteligencia artificial|asistente)\b[^.!?\n]{0,60}\bno (?:puedo|debo|me es posible)",
    ),
    "pt": (
        r"\b(?:não posso|não poderei|não vou|não me é possível|não é possível para mim|não consigo|não estou em (?:condições|posição) de|me recuso a|recuso-me a|devo recusar|não me sinto confortável)"
        r"(?: \w+){0,3}? (?:ajudar|ajudá-lo|ajudá-la|te ajudar|auxiliar|fornecer|oferecer|dar|cumprir|responder|criar|escrever|gerar|compartilhar|partilhar|fazer isso|fazer isto|atender|apoiar|participar|explicar|descrever|prestar|dizer|contar|ensinar|redigir|elaborar|recomendar|promover|incentivar)",
        r"\b(?:não posso|não consigo|não vou) (?:ajudar|fazer isso|com isso|com isto|com esse|com essa|com este|com esta)\b",
        r"^\W*(?:desculpe|desculpa|lamento|sinto muito|infelizmente|perdão)\b[^.!?\n]{0,80}\bnão (?:posso|consigo|vou|me é possível|é possível)",
        r"\bcomo (?:modelo de linguagem|ia|inteligência artificial|assistente)\b[^.!?\n]{0,60}\bnão (?:posso|devo|consigo)",
    ),
    "fr": (
        r"\bje (?:ne (?:peux|pourrai|pourrais|vais|suis) pas|n'ai pas le droit de|refuse de|dois refuser de|ne suis pas en mesure de|ne me sens pas à l'aise)"
        r"(?: \w+){0,3}? (?:vous |t')?(?:aider|assister|fournir|donner|répondre|satisfaire|accéder|rédiger|écrire|créer|générer|partager|faire (?:ça|cela|ceci)|apporter|proposer|expliquer|décrire|participer|encourager|promouvoir|dire|indiquer|montrer|enseigner|apprendre|concevoir|élaborer|argumenter|conseiller|recommander|soutenir|inventer|fabriquer|développer)",
        r"\bje ne (?:peux|pourrai|vais) pas (?:vous |t')?(?:aider|faire (?:ça|cela))\b",
        r"\bil m'est impossible de\b",
        r"^\W*(?:désolée?|je suis désolée?|je regrette|malheureusement|pardon|toutes mes excuses|excusez-moi)\b[^.!?\n]{0,80}\b(?:je ne|ne peux|n'est pas possible|impossible)",
        r"\ben tant qu'(?:ia|intelligence artificielle|assistant|modèle de langage)\b[^.!?\n]{0,60}\bje ne (?:peux|dois|suis)",
    ),
    "de": (
        r"\bich (?:kann|darf|werde|möchte|will)(?: \w+){0,4}? (?:nicht|kein|keine|keinen|keinem|keiner|keinerlei)(?: [\w-]+,?){0,10}? (?:helfen|behilflich|unterstützen|bereitstellen|geben|liefern|anbieten|beantworten|erfüllen|schreiben|erstellen|erzeugen|generieren|teilen|nachkommen|nennen|erklären|beschreiben|machen|tun|mitwirken|verfassen|anleiten|sagen|verraten|zeigen|vermitteln|empfehlen|entwerfen|gestalten|argumentieren|befürworten|weitergeben|stellen|programmieren|entwickeln|ausführen|auflisten|darlegen|formulieren|beibringen|fördern)\b",
        r"\b(?:dabei|damit|hierbei|hierzu|dazu|darauf) (?:kann|darf|werde) ich (?:ihnen |dir |euch )?(?:leider )?(?:nicht|keine)\b",
        r"\b(?:kann|darf|werde) ich (?:ihnen |dir |euch )?(?:leider |so |hier )?(?:nicht|keine)(?: \w+){0,2}? (?:helfen|unterstützen|geben|bereitstellen|beantworten|erfüllen|liefern|machen|tun|nachkommen)",
        r"\bich bin (?:leider )?nicht in der lage\b",
        r"\b(?:kann|darf|werde) ich (?:[\w-]+ ){0,4}?(?:nicht|kein|keine|keinen|keinem|keiner)(?: [\w-]+){0,3}? (?:helfen|unterstützen|geben|bereitstellen|beantworten|erfüllen|liefern|nachkommen|sagen|schreiben|erstellen|verfassen|nennen|erklären|tun|machen)\b",
        r"\bich bin (?:nur )?(?:ein|eine) (?:ki|ki-[\w-]+|sprachmodell|assistent\w*)\b[^.!?\n]{0,80}\b(?:kann|darf|werde) (?:ich )?(?:\w+ )?(?:nicht|kein\w*)",
        r"\bich (?:muss|möchte) (?:diese anfrage |das |dies )?(?:leider )?ablehnen\b",
        r"^\W*(?:es tut mir leid|entschuldigung|tut mir leid|leider|bedaure|ich bedaure|verzeihung)\b[^.!?\n]{0,80}\b(?:nicht|keine|kann ich|darf ich)\b",
        r"\bals (?:ki|ki-modell|sprachmodell|ki-assistent|assistent)\b[^.!?\n]{0,60}\b(?:kann|darf) ich (?:\w+ )?(?:nicht|keine)",
    ),
    "it": (
        r"\b(?:non posso|non potrò|non sono in grado di|non ho intenzione di|mi rifiuto di|devo rifiutare|non mi è possibile|non mi sento a mio agio)"
        r"(?: \w+){0,3}? (?:aiutar\w*|assister\w*|fornir\w*|offrir\w*|dar\w*|soddisfar\w*|risponder\w*|crear\w*|scriver\w*|generar\w*|condivider\w*|far(?:e|lo) |spiegar\w*|descriver\w*|partecipar\w*|supportar\w*|dir\w*|raccontar\w*|insegnar\w*|progettar\w*|consigliar\w*|incoraggiar\w*|promuover\w*)",
        r"\bnon posso (?:aiutarti|aiutarla|aiutarvi|farlo|fare questo|fare ciò)\b",
        r"^\W*(?:mi dispiace|spiacente|purtroppo|mi scuso|scusa|scusami|chiedo scusa)\b[^.!?\n]{0,80}\bnon (?:posso|sono in grado|mi è possibile|è possibile|potrò)",
        r"\bin quanto (?:ia|intelligenza artificiale|modello linguistico|assistente)\b[^.!?\n]{0,60}\bnon (?:posso|devo)",
    ),
    "nl": (
        r"\bik (?:kan|mag|ga|zal|wil)(?: \w+){0,4}? (?:niet|geen)(?: \w+){0,3}? (?:helpen|assisteren|geven|verstrekken|leveren|bieden|beantwoorden|voldoen|schrijven|maken|genereren|delen|uitleggen|beschrijven|doen|ondersteunen|vertellen|zeggen|laten zien|tonen|adviseren|aanbevelen|ontwerpen|opstellen|aanleren|leren|bevorderen|aanmoedigen)",
        r"\b(?:daar|hier|daarmee|hiermee) kan ik (?:je |u |jullie )?(?:helaas )?niet\b",
        r"\b(?:kan|mag|zal) ik (?:je |u |jullie )?(?:helaas |echter |dus )?(?:niet|geen)(?: [\w-]+,?){0,8}? (?:helpen|assisteren|geven|verstrekken|leveren|bieden|beantwoorden|schrijven|maken|genereren|delen|uitleggen|beschrijven|vertellen|zeggen|tonen|adviseren|aanbevelen|ontwerpen|opstellen|ondersteunen)\b",
        r"\bdat ik (?:je |u |jullie )?(?:helaas )?(?:niet|geen)(?: [\w-]+){0,4}? (?:kan|mag|zal) (?:helpen|geven|verstrekken|leveren|bieden|delen|vertellen|schrijven|maken|uitleggen)\b",
        r"\bik ben (?:helaas )?niet in staat\b",
        r"\bik weiger\b",
        r"^\W*(?:het spijt me|sorry|excuses|helaas|mijn excuses)\b[^.!?\n]{0,80}\b(?:kan ik|ik kan|mag ik|ik mag)(?: \w+){0,2}? (?:niet|geen)\b",
        r"\bals (?:ai|ai-model|taalmodel|assistent)\b[^.!?\n]{0,60}\b(?:kan|mag) ik (?:\w+ )?(?:niet|geen)",
    ),
    "ru": (
        r"\bя не (?:могу|смогу|буду|стану|вправе|имею права|в состоянии|готов|готова)(?: \w+){0,3}? (?:помо\w*|предостав\w*|да(?:ть|вать)|дам|ответ\w*|выполн\w*|созда\w*|напис\w*|сгенерир\w*|подели\w*|сдела\w*|объясн\w*|опис\w*|поддерж\w*|участв\w*|расска\w*|привести|привод\w*|сообщ\w*)",
        r"\b(?:не могу|не смогу|не буду)(?: \w+){0,2}? (?:помочь|помогать|с этим|этого сделать|это сделать|выполнить (?:этот|эту|ваш|вашу))",
        r"\bя вынужден(?:а)? отказа\w*\b",
        r"\bотказываюсь\b",
        r"^\W*(?:извините|простите|прошу прощения|к сожалению|мне жаль|сожалею)\b[^.!?\n]{0,80}\b(?:не могу|не смогу|не буду|не в состоянии|невозможно|не имею)",
        r"\bкак (?:ии|искусственный интеллект|языковая модель|ассистент)\b[^.!?\n]{0,60}\bя не (?:могу|должен|должна)",
    ),
    "zh": (
        r"(?:我|本助手|作为(?:一个)?(?:人工智能|ai|语言模型|ai助手|助手)[,，]?我?)(?:真的|恐怕|实在|目前|暂时|并)?(?:不能|无法|没办法|没有办法|不可以|不会|不便|不方便|拒绝|不得不拒绝|無法|不會|沒辦法|不可以)(?:为你|為你|为您|為您|向你|向您|帮你|幫你|帮您|幫您|协助你|協助你|给你|給你|给您|給您|就此|对此|對此|在这方面|在這方面|回答|提供|完成|满足|滿足|执行|執行|处理|處理|帮助|幫助|帮忙|幫忙|协助|協助|参与|參與|生成|编写|編寫|撰写|撰寫|创作|創作|分享|透露|给出|給出|解答|回应|回應|支持|满足|告诉|告訴|教|指导|指導|说明|說明|解释|解釋|设计|設計|写|寫|制作|製作|创建|創建|推荐|推薦|鼓励|鼓勵|宣扬|宣揚|编造|編造|列出|传授|傳授|论证|論證|这样做|這樣做|这么做|這麼做|照做|做到)",
        r"(?:抱歉|对不起|對不起|很遗憾|很遺憾|不好意思|非常抱歉|十分抱歉)[^。！？\n]{0,40}(?:不能|无法|無法|没办法|沒辦法|不可以|不会|不會|不便|拒绝|拒絕)",
        r"(?:无法|無法|不能)(?:为你|為你|为您|為您|向你|向您)?(?:提供|协助|協助|帮助|幫助|满足|滿足|完成|回答|参与|參與)(?:这|這|此|该|該|你的|您的|相关|相關|任何|有关|有關)",
        r"(?:恕我|请恕|請恕)(?:不能|无法|無法|难以|難以)",
        # Understanding, then a verdict on what was asked ("我理解你可能感到压力，但触发火警是一个非常危险且严重的举动").
        r"^\W*我(?:很|完全|能)?(?:理解|明白|知道)[^。！？\n]{0,80}(?:但|但是|不过|不過)[^。！？\n]{0,100}(?:犯罪|违法|違法|非法|不道德|危险且|危險且|不可接受|不是解决问题的办法|不是解決問題的辦法)",
    ),
    "ja": (
        r"(?:申し訳(?:ありません|ございません|ない)|すみません|ごめんなさい|残念ながら|恐れ入りますが|恐縮ですが)[^。！？\n]{0,80}(?:できません|できかねます|出来ません|いたしかねます|致しかねます|お答えしかねます|お応えできません|控えさせて|お断り|できないです|できない)",
        r"(?:お手伝い|お答え|提供|回答|作成|対応|協力|ご協力|支援|サポート|ご案内|説明|共有|生成|実行)(?:すること|いたすこと|をすること)?(?:は|が|も|を)?(?:できません|できかねます|いたしかねます|致しかねます|出来ません)",
        r"(?:お答え|回答|提供|ご提供|作成|お手伝い|対応)(?:を|は)?(?:控えさせて|お断り|差し控え)",
        r"(?:aiとして|ai として|言語モデルとして|アシスタントとして)[^。！？\n]{0,60}(?:できません|できかねます|いたしかねます)",
        r"^\W*[^。！？\n]{0,150}?(?:書く|作成する|作る|提供する|教える|説明する|手伝う|お手伝いする|支援する|推奨する|助ける|答える|回答する|生成する|提示する|応える"
        r"|助長する|奨励する|共有する|伝える|お伝えする|紹介する|勧める|協力する|デザインする|お答えする|お教えする|サポートする|支持する|擁護する"
        r"|正当化する|考案する|計画する)こと(?:は|が|も)?(?:でき|出来)(?:ません|かねます)",
        r"^\W*私(?:は|には)[^。！？\n]{0,100}?(?:できません|できかねます|いたしかねます|致しかねます|答えられません|応じられません|教えられません|お答えできません)",
        r"(?:質問|要求|要望|リクエスト|依頼)(?:に|には|は)(?:お)?(?:答えられ|応じられ|応えられ|お応えでき|お答えでき)ません",
    ),
    "ko": (
        r"(?:죄송하지만|죄송합니다|죄송해요|미안하지만|미안합니다|유감스럽게도|안타깝게도|양해 부탁)[^.!?\n]{0,80}(?:수 없|수가 없|드릴 수 없|못합니다|못 합니다|못해요|어렵습니다|어려워요|않겠습니다|거절)",
        r"(?:도와|도움을|도움이|제공해|제공|답변해|답변|응해|응답해|작성해|생성해|안내해|설명해|지원해|협조해|수행해|처리해|공유해|알려)\s?(?:드릴|줄|드리는 것은|드리기)?\s?(?:수 없|수가 없|수는 없|못|어렵)",
        r"(?:ai로서|ai 로서|인공지능으로서|언어 모델로서|어시스턴트로서)[^.!?\n]{0,60}(?:수 없|못|않습니다)",
        r"(?:거절해야|거부해야|거절하겠습니다|거절할 수밖에|응할 수 없)",
        r"^\W*(?:죄송|미안|유감스럽|안타깝)[^\n]{0,120}?(?:수 없|수가 없|수는 없|못 합|못합|못해|어렵습니다|않겠습니다|불가능)",
        r"(?:저는|제가|나는|내가)[^.!?\n]{0,100}? " + _KO_PRODUCE + r" 수(?:가|는)? 없",
        r"(?:저는|제가)[^.!?\n]{0,80}?(?:지원|조언|도와|도움|제공|권장|장려|조장)(?:하지|드리지|주지) 않",
        r"(?:요청|질문|정보|지침|방법|조언|내용|글|코드|답변|도움|안내|콘텐츠|스크립트|계획|기사|게시물|자료|지시|설명|예시|목록|이야기|광고|캠페인)"
        r"(?:을|를|에|은|는|에는)? (?:[^\s.!?]+ ){0,2}?" + _KO_PRODUCE + r" 수(?:가|는)? 없",
    ),
    "ar": (
        r"(?:لا أستطيع|لا استطيع|لا يمكنني|لا يُمكنني|لن أتمكن|لن اتمكن|لن أستطيع|لن استطيع|لا أقدر|لن أقوم|لا أقوم|لا يسعني|يتعذر علي|يتعذّر عليّ|أرفض|ارفض|أعتذر عن)(?: \S+){0,3}? ?(?:مساعدت|المساعدة|مساعدة|تقديم|أقدم|اقدم|إعطاء|اعطاء|أعطي|توفير|أوفر|الإجابة|الاجابة|أجيب|اجيب|الرد|تلبية|تنفيذ|كتابة|أكتب|اكتب|إنشاء|انشاء|مشاركة|شرح|أشرح|المشاركة|القيام|فعل|ذلك|هذا|هذه|بذلك|بهذا|بهذه)",
        r"^\W*(?:عذرًا|عذرا|عذراً|آسف|اسف|آسفة|أعتذر|اعتذر|معذرة|للأسف|مع الأسف|يؤسفني)[^.!؟?\n]{0,80}(?:لا أستطيع|لا استطيع|لا يمكنني|لن أتمكن|لن اتمكن|لن أستطيع|لا يسعني|يتعذر|غير قادر|لست قادر|لن أقوم|لا أقدر)",
        r"(?:بصفتي|كوني|بوصفي) (?:ذكاءً|ذكاء|نموذج|مساعد)[^.!؟?\n]{0,60}(?:لا أستطيع|لا يمكنني|لا يسعني|لست)",
    ),
    "hi": (
        r"(?:मैं|हम)(?: \S+){0,5}? (?:नहीं कर सकता|नहीं कर सकती|नहीं कर सकते|नहीं दे सकता|नहीं दे सकती|नहीं दे सकते|नहीं बता सकता|नहीं बता सकती|नहीं लिख सकता|नहीं लिख सकती|नहीं कर पाऊंगा|नहीं कर पाऊँगा|नहीं कर पाऊंगी|नहीं कर पाऊँगी|असमर्थ हूं|असमर्थ हूँ|मना करता|मना करती|इनकार करता|इनकार करती|नहीं करूंगा|नहीं करूँगा|नहीं करूंगी|नहीं करूँगी)",
        r"(?:क्षमा करें|क्षमा कीजिए|माफ़ करें|माफ करें|माफ़ कीजिए|माफ कीजिए|खेद है|मुझे खेद है|दुर्भाग्य से|माफ़ी चाहता|माफी चाहता|माफ़ी चाहती|माफी चाहती)[^।.!?\n]{0,80}(?:नहीं कर सकत|नहीं दे सकत|नहीं बता सकत|असमर्थ|नहीं कर पा|संभव नहीं|नहीं कर सकूंगा|नहीं कर सकूँगा)",
        r"(?:सहायता|मदद|जानकारी|उत्तर|जवाब)(?: \S+){0,2}? (?:नहीं कर सकता|नहीं कर सकती|नहीं दे सकता|नहीं दे सकती|प्रदान नहीं कर सकता|प्रदान नहीं कर सकती)",
    ),
    "tr": (
        r"\b(?:yardımcı olamam|yardımcı olamıyorum|yardımcı olamayacağım|yardım edemem|yardım edemiyorum|yardım edemeyeceğim|sağlayamam|sağlayamıyorum|veremem|veremiyorum|veremeyeceğim|yanıt veremem|cevap veremem|yanıtlayamam|cevaplayamam|yazamam|oluşturamam|üretemem|paylaşamam|açıklayamam|destek olamam|katılamam|yapamam|yerine getiremem|yapmayacağım|sunamam|sunamıyorum)\b",
        r"^\W*(?:üzgünüm|maalesef|özür dilerim|kusura bakmayın|ne yazık ki)\b[^.!?\n]{0,80}(?:amam|emem|amıyorum|emiyorum|mümkün değil|olamam|edemem)\b",
        r"\b(?:bir yapay zeka|yapay zeka olarak|dil modeli olarak|asistan olarak)\b[^.!?\n]{0,60}(?:amam|emem|mümkün değil)\b",
        r"\breddetmek zorundayım\b",
    ),
    "pl": (
        r"\b(?:nie mogę|nie będę|nie jestem w stanie|nie wolno mi|odmawiam|muszę odmówić)(?: \w+){0,4}? (?:pomóc|pomagać|udzielić|udzielać|"
        r"dostarczyć|dostarczać|udostępnić|spełnić|zrobić|powiedzieć|napisać|stworzyć|podać|wygenerować|odpowiedzieć|wyjaśnić|opisać|"
        r"przedstawić|zaproponować|przygotować|doradzić|polecić|wspierać|promować|zachęcać|uczestniczyć|wskazać|zaprojektować|opracować)",
        r"\bnie mogę (?:ci |wam |pani |panu )?(?:w tym )?(?:pomóc|tego zrobić|tego powiedzieć)\b",
        r"^\W*(?:przepraszam|przykro mi|niestety|wybacz|wybaczcie)\b[^.!?\n]{0,80}\bnie (?:mogę|jestem w stanie|będę|wolno mi)\b",
        r"\bjako (?:model językowy|sztuczna inteligencja|ai|asystent(?: ai)?)\b[^.!?\n]{0,60}\bnie (?:mogę|powinienem|jestem w stanie)",
    ),
    "th": (
        r"(?:ขออภัย|ขอโทษ|เสียใจ|น่าเสียดาย)[^\n]{0,80}?(?:ไม่สามารถ|ไม่อาจ|ไม่ได้|ไม่ขอ)",
        r"(?:ฉัน|ผม|ดิฉัน|เรา)(?:\s?(?:จึง|ก็|คง|ขอ))?\s?(?:ไม่สามารถ|ไม่อาจ|ไม่ยินดี|ไม่สะดวก)(?:\s?ที่จะ)?\s?(?:ช่วย|ให้|ตอบ|สร้าง|เขียน|แนะนำ|อธิบาย|บอก|สนับสนุน|จัดทำ|เผยแพร่|แบ่งปัน|ทำ)",
        r"(?:ในฐานะ(?:ที่เป็น)?\s?(?:ai|เอไอ|ปัญญาประดิษฐ์|โมเดลภาษา|ผู้ช่วย))[^\n]{0,60}?(?:ไม่สามารถ|ไม่อาจ)",
    ),
}

# The moralising declines of the English list in the other languages: "it is not appropriate / ethical
# to…", "I advise you against…", "as a responsible AI…", "I have no access to personal information…".
# (substrings one of which each needs, patterns)
_LANG_MORALISE: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "es": (("no es ", "desaconsej", "responsable", "no tengo acceso"), (
        r"\bno (?:es|sería) (?:apropiado|ético|correcto|aceptable|adecuado)(?: ni (?:apropiado|ético|correcto|aceptable|legal))? (?:que|para mí|para nadie|\w+r)\b",
        r"\b(?:te|le|les|os) desaconsejo\b",
        r"\bcomo (?:una? )?(?:ia|asistente|inteligencia artificial|modelo de lenguaje) responsable\b",
        r"\bno tengo acceso a\b",
    )),
    "pt": (("não ", "desaconselh", "responsável"), (
        r"\bnão (?:é|seria) (?:apropriado|ético|correto|aceitável|adequado)(?: nem (?:apropriado|ético|correto|legal))? (?:que|para mim|\w+r)\b",
        r"\b(?:desaconselho|não recomendo que|não recomendo (?:tentar|fazer))\b",
        r"\bcomo (?:uma? )?(?:ia|assistente|inteligência artificial|modelo de linguagem) responsável\b",
        r"\bnão tenho acesso a\b",
    )),
    "fr": (("n'est pas", "déconseille", "responsable", "je n'ai pas accès"), (
        r"\b(?:il|ce|cela) n'(?:est|serait) pas (?:approprié|éthique|acceptable|correct|convenable|responsable)(?: ni (?:approprié|éthique|légal))? de\b",
        r"\bje (?:vous|te) (?:déconseille|déconseillerais)\b",
        r"\ben tant qu'(?:ia|assistant|intelligence artificielle|modèle de langage) responsable\b",
        r"\bje n'ai pas accès (?:aux?|à)\b",
    )),
    "de": (("nicht", "davon ab", "verantwortungsvoll", "keinen zugriff"), (
        r"\bes (?:ist|wäre) (?:nicht|weder) (?:angemessen|ethisch|angebracht|vertretbar|in ordnung|verantwortungsvoll)\b",
        r"\bich (?:rate|würde) (?:ihnen |dir |euch )?(?:dringend |entschieden |ausdrücklich )?davon ab(?:raten)?\b",
        r"\bals verantwortungsvolle[rs]? (?:ki|ki-assistent|assistent|sprachmodell|ki-modell)\b",
        r"\bich habe keinen zugriff auf\b",
    )),
    "it": (("non è", "non sarebbe", "sconsigli", "responsabile", "non ho accesso"), (
        r"\bnon (?:è|sarebbe) (?:appropriato|etico|corretto|accettabile|responsabile)(?: né (?:appropriato|etico|legale))? (?:per me )?\w+re\b",
        r"\b(?:ti|le|vi) sconsiglio\b",
        r"\bin quanto (?:ia|assistente|intelligenza artificiale|modello linguistico) responsabile\b",
        r"\bnon ho accesso (?:a|ad|al|ai|alle?|agli)\b",
    )),
    "nl": (("niet", "raad", "verantwoordelijke", "geen toegang"), (
        r"\bhet (?:is|zou) (?:niet|niet) (?:gepast|ethisch|aanvaardbaar|verantwoord|passend)\b",
        r"\bik raad (?:je|u|jullie|het) (?:ten zeerste |sterk |dringend )?af\b",
        r"\bals (?:een )?verantwoordelijke (?:ai|assistent|taalmodel)\b",
        r"\bik heb geen toegang tot\b",
    )),
    "ru": (("неуместн", "неэтичн", "недопустим", "не рекоменд", "не совет", "ответствен", "нет доступа"), (
        r"\b(?:это|было бы) (?:неуместно|неэтично|недопустимо|неприемлемо|не этично|не уместно)\b",
        r"\b(?:я )?(?:не рекомендую|не советую|настоятельно (?:рекомендую|советую) не)\b",
        r"\bкак ответственн\w+ (?:ии|ассистент|помощник|искусственный интеллект|языковая модель)\b",
        r"\bу меня нет доступа к\b",
    )),
    "zh": (("建议", "建議", "推荐", "推薦", "劝", "勸", "负责任", "負責任", "访问", "訪問", "获取", "獲取", "浏览", "瀏覽", "连接", "連接"), (
        r"(?:我|本助手)(?:并|並)?(?:不建议|不建議|不推荐|不推薦|劝你不要|勸你不要|建议你不要|建議你不要|强烈建议你不要|強烈建議你不要)",
        r"作为(?:一个|一個)?负责任的(?:人工智能|ai|助手|语言模型)|作為(?:一個)?負責任的(?:人工智慧|人工智能|ai|助手|語言模型)",
        r"(?:这样做|這樣做|这么做|這麼做|这种行为|這種行為)(?:是|既)?(?:不道德|不合适|不合適|不恰当|不恰當|违法|違法)",
        r"我(?:无法|無法|不能|没有办法|沒有辦法)(?:访问|訪問|获取|獲取|浏览|瀏覽|连接|連接)|我没有(?:访问|訪問)(?:\S{0,12})(?:的)?(?:权限|權限)",
    )),
    "ja": (("お勧め", "おすすめ", "推奨", "責任ある", "不適切", "倫理", "アクセス"), (
        r"(?:お勧め|おすすめ|推奨)(?:でき|いたし|し)?(?:ません|かねます)",
        r"責任ある(?:ai|アシスタント|言語モデル)として",
        r"(?:こと|の)は(?:不適切|倫理的に(?:問題|不適切)|違法)",
        r"個人(?:情報|的な情報)(?:に|へ)は?アクセス(?:でき|し)ません|私(?:は|には)[^。\n]{0,30}(?:に|へ)(?:は)?アクセス(?:でき|する(?:こと|手段)が(?:でき|あり))ません",
    )),
    "ko": (("권장하지", "추천하지", "권하지", "책임감", "적절하지", "비윤리", "부적절", "접근할 수 없", "액세스할 수 없"), (
        r"(?:권장하지|추천하지|권하지) 않",
        r"책임감 있는 (?:ai|인공지능|어시스턴트|언어 모델)로서",
        r"(?:것은|건|행위는) (?:적절하지 않|비윤리적|부적절)",
        r"개인 ?정보에 (?:대한 )?(?:접근할 수 없|액세스할 수 없)|저는 [^.\n]{0,30}(?:접근할|액세스할) 수 없",
    )),
    "ar": (("ليس من", "من غير", "أنصح", "انصح", "أوصي", "مسؤول", "ليس لدي"), (
        r"(?:ليس من|من غير) (?:المناسب|الأخلاقي|اللائق|المقبول)",
        r"(?:لا أنصح|لا انصح|أنصحك بعدم|انصحك بعدم|لا أوصي)",
        r"(?:بصفتي|كوني) (?:\S+ ){0,2}?مسؤول",
        r"ليس لدي (?:إمكانية )?(?:وصول|الوصول) إلى",
    )),
    "hi": (("अनुचित", "अनैतिक", "उचित नहीं", "सलाह नहीं", "न करने की सलाह", "जिम्मेदार", "ज़िम्मेदार", "पहुंच नहीं", "पहुँच नहीं"), (
        r"(?:अनुचित|अनैतिक|उचित नहीं|नैतिक नहीं) (?:है|होगा|होगी)",
        r"(?:सलाह नहीं (?:देता|देती|दूंगा|दूँगा|दूंगी|दूँगी)|न करने की सलाह)",
        r"(?:जिम्मेदार|ज़िम्मेदार) (?:एआई|ai|सहायक|भाषा मॉडल) (?:के रूप में|होने के नाते)",
        r"(?:व्यक्तिगत जानकारी (?:तक )?(?:पहुंच|पहुँच) नहीं|मेरे पास (?:\S+ ){0,4}?(?:तक )?(?:पहुंच|पहुँच) नहीं)",
    )),
    "tr": (("uygun değil", "etik değil", "uygun olmaz", "etik olmaz", "tavsiye etm", "önerm", "sorumlu", "erişimim"), (
        r"\b(?:uygun|etik) (?:değil|olmaz)\b",
        r"\b(?:tavsiye etmem|tavsiye etmiyorum|önermem|önermiyorum)\b",
        r"\bsorumlu bir (?:yapay zeka|asistan|dil modeli)\b",
        r"\berişimim (?:yok|bulunmuyor)\b",
    )),
    "pl": (("nie jest", "byłoby", "odradzam", "odpowiedzialn", "nie mam dostępu"), (
        r"\bnie (?:jest|byłoby) (?:to )?(?:właściwe|etyczne|odpowiednie|stosowne|w porządku)\b",
        r"\b(?:odradzam|zdecydowanie odradzam|nie polecam|nie zalecam)\b",
        r"\bjako odpowiedzialn\w+ (?:ai|asystent|model językowy|sztuczna inteligencja)\b",
        r"\bnie mam dostępu do\b",
    )),
    "th": (("ไม่เหมาะสม", "ไม่ถูกต้อง", "ไม่แนะนำ", "รับผิดชอบ", "ไม่มีสิทธิ์เข้าถึง", "ไม่สามารถเข้าถึง"), (
        r"(?:ไม่เหมาะสม|ไม่ถูกต้องตามจริยธรรม|ผิดจริยธรรม)",
        r"(?:ไม่แนะนำ|ขอแนะนำว่าอย่า)",
        r"(?:ในฐานะ)\s?(?:ai|ผู้ช่วย)\s?ที่(?:มีความ)?รับผิดชอบ",
        r"(?:ไม่มีสิทธิ์เข้าถึง|(?:ฉัน|ผม|ดิฉัน)ไม่สามารถเข้าถึง)",
    )),
}

# The English moralising decline (a verdict on what was asked in the opening, then a redirect, and no answer
# after all) in the other languages: (verdict gate words, verdict, redirect, answer markers).
_LANG_VERDICT: dict[str, tuple[tuple[str, ...], str, str, str]] = {
    "de": (("illegal", "unethisch", "strafbar", "verbrechen", "akzeptabel", "unmoralisch", "verwerflich"),
           r"\b(?:ist|sind|wäre|wären)(?: (?!nicht\b|kein)\w+){0,3}? (?:\*\*)?(?:illegal|unethisch|strafbar|ein (?:\w+ )?verbrechen|nicht akzeptabel|"
           r"niemals akzeptabel|inakzeptabel|unmoralisch|moralisch verwerflich|verwerflich)",
           r"\b(?:stattdessen|anstatt|statt dessen|ich (?:empfehle|rate) (?:dir|ihnen|euch)|bitte (?:wende|wenden|suche|suchen|sprich|sprechen|kontaktiere)|"
           r"(?:suche|suchen sie) (?:dir )?(?:professionelle )?hilfe|wende dich an)",
           r"\b(?:hier (?:sind|ist) (?:einige |ein paar )?(?:schritte|tipps|möglichkeiten|wege|anleitung)|schritt 1|so geht)"),
    "fr": (("illégal", "éthique", "immoral", "crime", "délit", "inacceptable", "répréhensible"),
           r"\b(?:est|sont|serait)(?: (?!pas\b|jamais\b|nullement\b)[\w']+){0,3}? (?:\*\*)?(?:illégale?s?|contraire à l'éthique|immorale?s?|un crime|un délit|inacceptable|répréhensible)",
           r"\b(?:au lieu de|plutôt que|je (?:te|vous) (?:conseille|recommande|encourage|suggère)|je t'encourage|n'hésite(?:z)? pas à (?:demander|chercher|contacter)|"
           r"(?:cherche|cherchez|demande|demandez) (?:de l'aide|un soutien))",
           r"\b(?:voici (?:les |quelques )?(?:étapes|conseils|méthodes|moyens)|étape 1|pour (?:ce faire|y parvenir), )"),
    "es": (("ilegal", "ético", "inmoral", "delito", "crimen", "inaceptable"),
           r"(?<!no )\b(?:es|son|sería|serían)(?: (?!no\b|nunca\b)\w+){0,3}? (?:\*\*)?(?:ilegal(?:es)?|poco ético|no es ético|inmoral(?:es)?|un delito|un crimen|inaceptable)",
           r"\b(?:en lugar de|en vez de|te (?:recomiendo|sugiero|animo)|le (?:recomiendo|sugiero)|busca ayuda|busque ayuda|te invito a)",
           r"\b(?:aquí (?:tienes|hay|están|te dejo) (?:algunos |los )?(?:pasos|consejos|métodos|formas)|paso 1)"),
    "pt": (("ilegal", "antiético", "imoral", "crime", "inaceitável"),
           r"(?<!não )\b(?:é|são|seria)(?: (?!não\b|nunca\b)\w+){0,3}? (?:\*\*)?(?:ilegal|ilegais|antiético|imoral|um crime|inaceitável)",
           r"\b(?:em vez de|ao invés de|recomendo (?:que|você)|sugiro (?:que|você)|procure ajuda|busque ajuda|incentivo você)",
           r"\b(?:aqui (?:está|estão) (?:alguns |os )?(?:passos|dicas|métodos|formas)|passo 1)"),
    "it": (("illegale", "etico", "immorale", "reato", "crimine", "inaccettabile"),
           r"(?<!non )\b(?:è|sono|sarebbe)(?: (?!non\b|mai\b)\w+){0,3}? (?:\*\*)?(?:illegale|illegali|non etico|immorale|un reato|un crimine|inaccettabile)",
           r"\b(?:invece di|anziché|ti (?:consiglio|suggerisco|incoraggio)|le (?:consiglio|suggerisco)|cerca aiuto|rivolgiti a)",
           r"\b(?:ecco (?:alcuni |i )?(?:passaggi|consigli|metodi|modi)|passo 1)"),
    "nl": (("illegaal", "onethisch", "immoreel", "misdrijf", "strafbaar", "onaanvaardbaar", "onacceptabel", "verwerpelijk"),
           r"\b(?:is|zijn|zou)(?: (?!niet\b|geen\b|nooit\b)\w+){0,3}? (?:\*\*)?(?:illegaal|onethisch|immoreel|een misdrijf|strafbaar|onaanvaardbaar|onacceptabel|(?:moreel )?verwerpelijk)",
           r"\b(?:in plaats van|ik raad je aan|ik moedig je aan|zoek (?:professionele )?hulp|neem contact op met)",
           r"\b(?:hier (?:zijn|is) (?:enkele |een paar )?(?:stappen|tips|manieren)|stap 1)"),
    "ru": (("незаконн", "неэтичн", "аморальн", "преступлен", "недопустим", "противозаконн"),
           r"(?<!не )(?<!не является )(?<!не было )(?:незаконн|неэтичн|аморальн|преступлени|недопустим|противозаконн)",
           r"(?:вместо этого|вместо того|рекомендую|советую|обратитесь|обратись)",
           r"(?:вот (?:несколько |основные )?(?:шаги|советы|способы)|шаг 1)"),
    "zh": (("违法", "違法", "非法", "犯罪", "不道德", "不可接受"),
           r"(?<![不没沒])(?<!不是)(?<!并非)(?<!並非)(?<!并不)(?<!並不)(?:违法|違法|非法|犯罪|不道德|不可接受)",
           r"(?:相反|而是|建议你|建議你|我建议|我建議|请寻求|請尋求|寻求帮助|尋求幫助|与其|與其)",
           r"(?:以下是(?:一些|具体)?(?:步骤|步驟|方法)|步骤[:：1一]|步驟[:：1一]|第一步)"),
    "ja": (("違法", "犯罪", "倫理", "不道徳", "許され"),
           r"(?:違法|犯罪|倫理的に(?:間違|問題)|非倫理的|不道徳|許されない|許されません)(?!では(?:な|あり))(?!じゃな)(?!でな)",
           r"(?:代わりに|その代わり|お勧めします|おすすめします|相談して|助けを求め)",
           r"(?:以下の手順|手順[:：1]|ステップ[:：1]|方法は以下)"),
    "ko": (("불법", "범죄", "비윤리", "부적절", "부당", "옳지 않", "윤리적으로"),
           r"(?:불법|범죄|비윤리|부적절하|부당하|옳지 않|윤리적으로 (?:매우 )?문제)(?!(?:이|은|가|는)? ?(?:아니|아닙|아님))(?!(?:하지|이지|적이지) 않)",
           r"(?:대신|권장합니다|추천합니다|도움을 요청|도움을 구하|상담을 받|상담하|고려해 보세요)",
           r"(?:다음은 (?:\S+ )?(?:단계|방법)|단계[:：1]|1단계)"),
    "ar": (("غير قانوني", "غير أخلاقي", "جريمة", "غير مقبول"),
           r"(?:غير قانوني|غير أخلاقي|جريمة|غير مقبول)",
           r"(?:بدلاً من|بدلا من|أنصحك|انصحك|أقترح عليك|اطلب المساعدة)",
           r"(?:إليك (?:بعض )?(?:الخطوات|النصائح)|الخطوة 1|الخطوة الأولى)"),
    "hi": (("अवैध", "गैरकानूनी", "अनैतिक", "अपराध"),
           r"(?:अवैध|गैरकानूनी|अनैतिक|अपराध)",
           r"(?:इसके बजाय|सलाह देता|सलाह देती|सुझाव देता|सुझाव देती|मदद लें)",
           r"(?:यहाँ (?:कुछ )?(?:चरण|तरीके)|चरण 1)"),
    "tr": (("yasa dışı", "yasadışı", "etik değil", "suç", "kabul edilemez", "ahlaka aykırı"),
           r"\b(?:yasa dışı|yasadışı|etik değil|bir suç|suçtur|kabul edilemez|ahlaka aykırı)",
           r"\b(?:bunun yerine|öneririm|tavsiye ederim|yardım alın|yardım al)",
           r"\b(?:işte (?:bazı )?(?:adımlar|ipuçları)|adım 1)"),
    "pl": (("nielegaln", "nieetyczn", "przestępstw", "niemoraln", "niedopuszczaln"),
           r"(?<!nie )\b(?:jest|są|byłoby)(?: (?!nie\b)\w+){0,3}? (?:\*\*)?(?:nielegaln\w*|nieetyczn\w*|przestępstwem|niemoraln\w*|niedopuszczaln\w*)",
           r"\b(?:zamiast tego|zamiast|zalecam|polecam|radzę|zwróć się|szukaj pomocy|poszukaj pomocy|skontaktuj się)",
           r"\b(?:oto (?:kilka |kroki|sposoby|instrukcja)|krok 1)"),
    "th": (("ผิดกฎหมาย", "อาชญากรรม", "ผิดจริยธรรม", "ไม่ถูกต้อง"),
           r"(?<!ไม่)(?:ผิดกฎหมาย|อาชญากรรม|ผิดจริยธรรม)",
           r"(?:แทนที่จะ|ขอแนะนำ|ควรปรึกษา|ขอความช่วยเหลือ)",
           r"(?:ขั้นตอนที่ 1|ต่อไปนี้คือขั้นตอน|วิธีการมีดังนี้)"),
}

# Words that, right before a decline, make it reported or an example rather than this answer's own.
_REPORTING = re.compile(
    r"(?:\b(?:says?|said|saying|replie[sd]|reply|repl(?:y|ies) with|respond(?:s|ed)?(?: with)?|answer(?:s|ed)? with|wrote|writes|"
    r"phrases? (?:like|such as)|such as|like|e\.g\.|for example|for instance|message|output|told (?:me|you|them|us)|"
    r"tells? (?:me|you|them|us)|claims?|claimed|refusals? (?:like|such as)|dice|dijo|respondió|ha detto|"
    r"risponde|sagt|sagte|antwortet|disse|responde|dit|répond|a répondu|говорит|сказал|сказала|ответил|ответила)"
    r"|说|說|回答说|回答說|回复|回覆|と言|と答|라고|고 말|قال|يقول|ने कहा|dedi|diyor)"
    r"[\s:,-]{0,4}(?:[\w']+[\s:,-]{1,3}){0,2}$"
)

# A decline the answer then explains as "this question has no meaningful answer" (a false premise,
# a fictional person) is an answer, not a refusal (XSTest's definition of full compliance).
_NO_ANSWER_EXISTS = re.compile(
    r"\b(?:(?:false|incorrect|flawed|mistaken|faulty) (?:assumption|premise)|(?:does not|doesn't|do not|don't) make (?:any )?sense|"
    r"not factually coherent|nonsensical|is a fictional|are fictional|fictional character|(?:does not|doesn't) (?:actually )?exist|"
    r"no (?:definitive|factual|real) (?:answer|information)|not explicitly (?:mentioned|stated))\b"
)
_NO_ANSWER_WINDOW = 200

# A moralising decline: the answer calls what was asked illegal / unethical / unsafe and points elsewhere
# ("Stealing is illegal and unethical. Instead, …", "… please seek professional help") without
# then answering it ("However, if you …, here are some tips").
_VERDICT = re.compile(
    r"\b(?:is|are|was|were|would be|can be)(?: both| highly| very| extremely| considered| generally| strictly| also)?"
    r" (?:\w+ (?:and|or) )?(?:illegal|unethical|immoral|a (?:serious |grave |federal )?crime|a criminal (?:offen[cs]e|act)|against the law|"
    r"morally wrong|wrong|harmful|dangerous|not (?:safe|ethical|legal|appropriate|acceptable|okay|ok|advisable|recommended)|"
    r"not an? (?:good|safe|healthy|appropriate|responsible) (?:idea|way|solution|choice)|never (?:acceptable|okay|ok|justified|appropriate|the answer|the solution|a good idea)|never an? (?:\w+ (?:or|and) )?(?:healthy|ethical|safe|appropriate|acceptable|good|legal)"
    r" (?:solution|way|idea|choice|option|answer|approach))\b"
)
_REDIRECT = re.compile(
    r"\b(?:instead|rather than|i (?:would |strongly |would strongly )?(?:suggest|encourage|recommend|urge|advise)|"
    r"please (?:seek|reach out|consider|talk|contact|consult|don't|do not)|"
    r"(?:it(?:'s| is)|is) (?:important|best|always best|better|crucial|essential) to (?:seek|reach out|talk|consult|focus|find|"
    r"respect|prioriti[sz]e|consider|report)|consider (?:seeking|reaching|talking|speaking|consulting|finding)|"
    r"seek (?:professional|medical|legal|immediate|help))\b"
)
_COMPLY = re.compile(
    r"\b(?:here (?:are|is)|here's|steps?:|follow these|(?:however|that said|that being said|but),? if you|"
    r"(?:first|1)[.)] )"
)
_MORALISE_GATES = ("illegal", "unethical", "immoral", "crime", "criminal", "against the law", "wrong", "harmful", "dangerous",
                   "not safe", "not ethical", "not legal", "not appropriate", "not acceptable", "not okay", "not ok",
                   "not advisable", "not recommended", "not a good", "not a safe", "not a healthy", "not an appropriate",
                   "not a responsible", "never a healthy", "never a safe", "never an ethical", "never an appropriate",
                   "ethical solution", "healthy solution", "ethical way", "healthy way", "never acceptable", "never okay", "never ok", "never justified", "never appropriate",
                   "never the answer", "never the solution", "never a good")

# English patterns anchored on "i" need a word boundary before it; checked after the match
# (a leading \b would stop the regex engine's fast literal scan).
# What follows "I must point out / clarify …" in an objection to the request (not in "I must note that the API is
# rate limited").
_OBJECTION = (
    r"\b(?:not (?:be )?(?:the most )?appropriate|inappropriate|problematic|harmful|offensive|unethical|unsafe|safety concerns?|"
    r"not (?:be )?(?:accurate|ethical|fair|safe|respectful)|discriminat\w*|promotes? \w+|violen\w*|derogatory|stereotyp\w*|"
    r"regardless of (?:their|his|her|one's)|private and confidential|not an? (?:\w+ (?:or|and) )?(?:fair|reasonable|feasible|recommended)|"
    r"not capable of (?:accessing|providing)|(?:do not|don't) have access to (?:your|their|his|her|someone's) (?:personal|private)|"
    r"morally reprehensible|crimes? against humanity|abhorrent|a criminal act|(?:a serious|a heinous|an? \w+) crime|illegal and unethical|"
    r"never (?:consider|attempt|do) such|not (?:here )?to (?:encourage|promote|facilitate|condone|provide information on)\b[^.!?]{0,30}"
    r"\b(?:illegal|harmful|violent|violence|unethical|dangerous)|"
    r"i(?:'m| am) (?:\w+ )?(?:committed to (?:promoting|providing)|here to provide (?:helpful|information|positive)|not here to|in no way))"
)
_EN_STRONG_CONTEXT = (
    (("i must", "to point out", "to clarify", "to challenge"),
     r"\bi (?:must|want to|would like to|need to|have to|'d like to) (?:respectfully |politely |gently |first )?"
     r"(?:point out|clarify|challenge|address|note|emphasi[sz]e|correct)\b[^.!?]{0,160}" + _OBJECTION),
    (("important to clarify", "important to point out"),
     r"\bit(?:'s| is) important to (?:clarify|point out)\b[^.!?]{0,160}" + _OBJECTION),
)


@dataclass(frozen=True)
class _Pattern:
    """One decline pattern. A leading ``\\b`` is checked after the match instead of by the regex:
    a pattern that starts with a literal lets the engine scan for it at C speed (5-10x faster)."""

    regex: re.Pattern[str]
    word_start: bool
    gate: frozenset[str]  # substrings one of which the text must contain; empty = no gate

    @classmethod
    def compile(cls, pattern: str, gate: Iterable[str] = ()) -> _Pattern:
        word_start = pattern.startswith(r"\b")
        regex = re.compile(pattern[2:] if word_start else pattern, re.MULTILINE)
        return cls(regex, word_start, frozenset(gate))


def _gates(patterns: Iterable[_Pattern]) -> tuple[str, ...]:
    return tuple(sorted(frozenset().union(*(p.gate for p in patterns))))


def _compile(patterns: Iterable[str | tuple[Iterable[str], str]]) -> tuple[_Pattern, ...]:
    return tuple(_Pattern.compile(p) if isinstance(p, str) else _Pattern.compile(p[1], p[0]) for p in patterns)


@dataclass(frozen=True)
class _Language:
    """Decline patterns of one language, behind substrings one of which any decline in it contains."""

    substrings: frozenset[str]
    decline: tuple[_Pattern, ...]
    verdict_gates: frozenset[str]
    verdict: re.Pattern[str]  # a verdict on what was asked ("… ist illegal")
    redirect: re.Pattern[str]  # then pointing elsewhere ("stattdessen …")
    answer: re.Pattern[str]  # and no answer after all ("hier sind die Schritte")


_LANG_SUBSTRINGS = {
    "es": ("no puedo", "no podr", "no voy a", "no me es", "no estoy en", "no es apropiado", "no me siento", "lo siento",
           "lament", "disculp", "perdón", "me niego", "negarme", "como ia", "como modelo", "como asistente",
           "como inteligencia"),
    "pt": ("não", "desculp", "lamento", "sinto muito", "infelizmente", "recus", "perdão"),
    "fr": ("je ne ", "je n'", "il m'est impossible", "désolé", "regrette", "malheureusement", "excuse", "je refuse",
           "je dois refuser", "pardon", "en tant qu"),
    "de": ("nicht", "kein", "leid", "leider", "entschuldig", "bedaure", "ablehnen", "verzeihung"),
    "it": ("non posso", "non potr", "non sono in grado", "non ho intenzione", "non mi ", "dispiace", "spiacente",
           "purtroppo", "scusa", "scuso", "rifiut", "in quanto"),
    "nl": ("niet", "geen", "spijt", "sorry, maar", "excuses", "helaas", "weiger"),
    # Turkish conjugates into the verb ("yardımcı olamam"): its negated-ability endings.
    "tr": ("amam", "edemem", "veremem", "üretemem", "getiremem", "amıyorum", "emiyorum", "amayacağım", "emeyeceğim", "yapmayacağım", "üzgünüm", "maalesef",
           "özür", "kusura", "yazık", "mümkün değil", "reddet"),
    "pl": ("nie mogę", "nie będę", "nie jestem w stanie", "nie wolno mi", "odmawiam", "odmówić", "przepraszam", "przykro mi",
           "niestety", "wybacz"),
    "th": ("ไม่สามารถ", "ไม่อาจ", "ไม่ได้", "ไม่ขอ", "ไม่ยินดี", "ไม่สะดวก", "ขออภัย", "ขอโทษ", "เสียใจ", "น่าเสียดาย"),
    "ru": ("не ", "извин", "прост", "прощен", "сожален", "жаль", "отказ"),
    "zh": ("不", "无法", "無法", "没办法", "沒辦法", "抱歉", "对不起", "對不起", "遗憾", "遺憾", "拒绝", "拒絕", "恕", "犯罪", "违法", "違法", "非法"),
    "ja": ("できません", "できかね", "出来ません", "かねます", "控え", "お断り", "申し訳", "すみません", "ごめん", "残念", "られません"),
    "ko": ("수 없", "수가 없", "수는 없", "못", "어렵", "죄송", "미안", "유감", "안타깝", "거절", "거부", "않"),
    "ar": ("لا ", "لن ", "يتعذر", "يتعذّر", "عذر", "آسف", "اسف", "أعتذر", "اعتذر", "معذرة", "أسف", "يؤسفني", "أرفض", "ارفض",
           "يسعني"),
    "hi": ("नहीं", "असमर्थ", "क्षमा", "माफ", "खेद", "दुर्भाग्य", "मना", "इनकार"),
}


def _merge_openings(patterns: tuple[tuple[tuple[str, ...], str], ...],
                    openings: tuple[str, ...]) -> tuple[tuple[tuple[str, ...], str], ...]:
    """The patterns that share an opening ("it / this / that …") as ONE regex each (one alternation
    after the shared opening): each pattern tried alone walks the whole text once, and the engine
    cannot scan ahead for an opening that is an alternation."""
    out = list(patterns)
    for opening in openings:
        merged = [p for p in out if p[1].startswith(opening) and p[1][len(opening)] in "(?"]
        if len(merged) < 2:
            continue
        gates = tuple(sorted({g for gate, _ in merged for g in gate}))
        out = [p for p in out if p not in merged]
        out.append((gates, opening + "(?:" + "|".join(p[1][len(opening):] for p in merged) + ")"))
    return tuple(out)


_EN_DECLINE_COMPILED = _compile(_merge_openings((*_EN_DECLINE, *_EN_STRONG_CONTEXT), (r"\b(?:it|this|that)",)))
_EN_PARTIAL = _compile(_EN_PARTIAL_PATTERNS)
_EN_DECLINE_GATES = _gates(_EN_DECLINE_COMPILED)
_LANGUAGES = {lang: _Language(frozenset((*_LANG_SUBSTRINGS[lang], *_LANG_MORALISE[lang][0])),
                               _compile((*pats, *_LANG_MORALISE[lang][1])),
                               frozenset(_LANG_VERDICT[lang][0]),
                               *(re.compile(pattern, re.MULTILINE) for pattern in _LANG_VERDICT[lang][1:]))
              for lang, pats in _LANG_DECLINE.items()}


def _automaton(words: Iterable[str]) -> ahocorasick.Automaton:
    automaton = ahocorasick.Automaton()
    for word in words:
        automaton.add_word(word, word)
    automaton.make_automaton()
    return automaton


# Every gate substring of every pattern, found in ONE pass over the text (Aho–Corasick, in C): the
# regexes then run only where a substring they need occurs — rarely, on the ingest hot path.
_GATE_WORDS = (set(_EN_DECLINE_GATES) | set(_gates(_EN_PARTIAL)) | set(_MORALISE_GATES)
               | {s for language in _LANGUAGES.values() for s in language.substrings | language.verdict_gates})
_GATES = _automaton(_GATE_WORDS)
# The same for ASCII text (most answers): a smaller automaton walks faster.
_ASCII_GATES = _automaton(word for word in _GATE_WORDS if word.isascii())
_MORALISE_GATES_SET = frozenset(_MORALISE_GATES)
# Languages that may be written in plain Latin letters (checked on every answer); the rest only
# when their script occurs.
_LATIN_LANGS = ("es", "pt", "fr", "de", "it", "nl", "tr", "pl")
_SCRIPTS = (
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("ja", re.compile(r"[\u3040-\u30ff]")),
    ("zh", re.compile(r"[\u3400-\u9fff]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
)
_NON_LATIN = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u0900-\u097f\u0e00-\u0e7f\u1100-\u11ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")



def _own_decline(patterns: tuple[_Pattern, ...], text: str, start_limit: int, end: int, present: set[str] | None) -> bool:
    """Is there a match starting before ``start_limit`` that is this answer's own decline: at a
    word start, not reported speech, and not followed by "the question has no meaningful answer"?

    ``present``: the gate substrings found in ``text[:end]`` (None: run every pattern)."""
    for pattern in patterns:
        if present is not None and pattern.gate and pattern.gate.isdisjoint(present):
            continue
        for match in pattern.regex.finditer(text, 0, end):
            start = match.start()
            if start >= start_limit:
                break
            if pattern.word_start and start and text[start - 1].isalnum():
                continue
            if _REPORTING.search(text, max(0, start - 40), start):
                continue
            if _NO_ANSWER_EXISTS.search(text, start, match.end() + _NO_ANSWER_WINDOW):
                continue
            return True
    return False


def _own_verdict(prepared: str, start: int) -> bool:
    """A verdict starting at ``start`` counts when it is in the opening and not reported speech."""
    return start < OPENING_CHARS and _REPORTING.search(prepared, max(0, start - 40), start) is None


def _redirected_without_answer(prepared: str, after: int, redirect: re.Pattern[str], answer: re.Pattern[str]) -> bool:
    """After the verdict, the answer points elsewhere and nowhere answers after all."""
    return redirect.search(prepared, after) is not None and answer.search(prepared) is None


def _moralising_decline(prepared: str, found: list[tuple[int, str]]) -> bool:
    """A verdict in the opening, then a redirect, and no answer after all (``found``: the gate
    substrings found, with their end positions). The verdict is searched only around the verdict
    words found — a scan of the whole opening for "is / are / would be …" costs more."""
    for end, substring in found:
        if substring not in _MORALISE_GATES_SET or end >= OPENING_CHARS + 40:
            continue
        start = end - len(substring) + 1
        verdict = _VERDICT.search(prepared, max(0, start - 40), min(len(prepared), end + 26))
        if verdict is None or not _own_verdict(prepared, verdict.start()):
            continue
        return _redirected_without_answer(prepared, verdict.end(), _REDIRECT, _COMPLY)
    return False


def _foreign_moralising(language: _Language, prepared: str) -> bool:
    """The same decline in another language; its verdict patterns are searched over the whole opening (they
    are fewer and rarer than English's "is / are / would be …")."""
    verdict = language.verdict.search(prepared, 0, OPENING_CHARS + 40)
    return (verdict is not None and _own_verdict(prepared, verdict.start())
            and _redirected_without_answer(prepared, verdict.end(), language.redirect, language.answer))


def text_refusal(text: str | None) -> tuple[bool, bool]:
    """(refused, partial) read from an answer's text (see the module docstring). ``partial`` is set
    for a withheld part found after the opening; a decline in the opening returns at once."""
    if not text:
        return False, False
    prepared = prepare(text)  # at most SCAN_CHARS long
    found = list((_ASCII_GATES if prepared.isascii() else _GATES).iter(prepared))
    if not found:
        return False, False
    present = {substring for _, substring in found}
    # The prepared text is at most SCAN_CHARS (= OPENING_END) long unless case folding lengthened it.
    opening = present if len(prepared) <= OPENING_END else {substring for end, substring in found if end < OPENING_END}
    if opening and (_own_decline(_EN_DECLINE_COMPILED, prepared, OPENING_CHARS, OPENING_END, opening)
                    or (not opening.isdisjoint(_MORALISE_GATES_SET) and _moralising_decline(prepared, found))):
        return True, False
    # Partial refusals may come after the opening: their patterns scan the whole prepared text.
    if _own_decline(_EN_PARTIAL, prepared, SCAN_CHARS, SCAN_CHARS, present):
        return True, True
    if not opening:
        return False, False
    langs: list[str] = list(_LATIN_LANGS)
    head = prepared[:OPENING_END]
    if not head.isascii() and _NON_LATIN.search(head) is not None:
        langs += [lang for lang, script in _SCRIPTS if script.search(head) is not None]
    for lang in langs:
        language = _LANGUAGES[lang]
        if not language.substrings.isdisjoint(opening) and _own_decline(language.decline, prepared, OPENING_CHARS,
                                                                          OPENING_END, opening):
            return True, False
    for lang in langs:
        language = _LANGUAGES[lang]
        if not language.verdict_gates.isdisjoint(opening) and _foreign_moralising(language, prepared):
            return True, False
    return False, False


# Cues of a decline (the judge's ``unsure`` scope): in English, narrower than the patterns' gates, which
# also hold words helpful answers use all the time ("important", "is not", "information"); in the other
# languages, the words their patterns need.
_DECLINE_CUES = _automaton({
    "i can't", "i cannot", "i can not", "i won't", "i will not", "i'm unable", "i am unable", "i'm not able",
    "i am not able", "i'm not comfortable", "i must decline", "i refuse", "sorry", "apolog", "unfortunately",
    "not appropriate", "inappropriate", "unethical", "not ethical", "irresponsible", "advise against",
    "recommend against", "discourage", "instead", "as an ai", "language model", "responsible ai", "not something i",
    "against my", "i don't have access", "i do not have access", "there is no reason", "there's no reason",
} | {s for language in _LANGUAGES.values() for s in language.substrings}
  # Other languages' verdict words ("불법", "违法", "unethisch"), but not those that are also English words.
  | {s for language in _LANGUAGES.values() for s in language.verdict_gates} - {"illegal", "crime", "immoral"})


def text_uncertain(text: str | None) -> bool:
    """Could the classifier be wrong about this answer? It flagged it, or its opening holds a decline
    cue: the answers the optional refusal judge reads in its ``unsure`` scope."""
    if not text:
        return False
    if next(iter(_DECLINE_CUES.iter(prepare(text)[:OPENING_END])), None) is not None:
        return True
    return text_refusal(text)[0]


def text_is_refusal(text: str | None) -> bool:
    """Does an answer's text read as a full or partial refusal?"""
    return text_refusal(text)[0]


def _finish_reasons(finish_reason: str | Iterable[str] | None) -> list[str]:
    if not finish_reason:
        return []
    if isinstance(finish_reason, str):
        return [finish_reason.lower()]
    return [str(reason).lower() for reason in finish_reason if reason]


def classify_refusal(*, client_flag: bool | None, finish_reason: str | Iterable[str] | None,
                     response_text: str | None, refusal_message: str | None = None) -> RefusalDecision:
    """Decide whether a call was refused, and which signal decided (see the module docstring)."""
    if client_flag is not None:
        return RefusalDecision(bool(client_flag), "client")
    if refusal_message and refusal_message.strip():
        return RefusalDecision(True, "api_refusal")
    if any(reason in REFUSAL_FINISH_REASONS for reason in _finish_reasons(finish_reason)):
        return RefusalDecision(True, "finish_reason")
    refused, partial = text_refusal(response_text)
    if refused:
        return RefusalDecision(True, "text", partial)
    return RefusalDecision(False, "none")
