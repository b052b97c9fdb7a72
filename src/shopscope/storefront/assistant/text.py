"""Text handling for the assistant: language detection and tokenizers for English and Chinese.

Language detection counts Han characters against Latin words (after NFKC normalisation, so
full-width letters and digits count as Latin). A text is Chinese when it has at least one Han
character and at least as many Han characters as Latin words, English when it has Latin words,
else ``"other"``. A text with both scripts is flagged ``mixed``; its language is the majority
one, which is the language the customer is answered in.

Tokenization splits a text into runs of Han and non-Han characters:

* Han runs are segmented by jieba (search mode, which also emits the shorter words inside long
  ones, for recall) with a private :class:`jieba.Tokenizer`, initialised once and quietly
  (jieba logs its dictionary loading to stderr otherwise). Chinese function words and
  punctuation are dropped.
* Other runs are lower-cased, split on anything that is not a letter or digit, stripped of
  English stop words and reduced by a light suffix stemmer (:func:`stem`). Negations ("not",
  "no", "without") are kept: "available" and "not available" are different FAQ answers.
* Digit runs of five or more characters (order numbers, phone numbers) are not words for
  retrieval; :mod:`~shopscope.storefront.assistant.entities` extracts order ids.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Language",
    "LanguageGuess",
    "detect_language",
    "normalize",
    "stem",
    "tokenize",
    "tokenize_en",
    "tokenize_zh",
]

log = logging.getLogger(__name__)

Language = Literal["en", "zh", "other"]

_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_HAN_CHAR = re.compile(f"[{_HAN}]")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_LONG_NUMBER = re.compile(r"^\d{5,}$")

_STOP_EN_WORDS = """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves hi hello please thanks
    thank i'm i've i'd it's don't can't won't let me's ve ll re d s t"""
_STOP_ZH_WORDS = """
    的 了 吗 呢 吧 啊 呀 哦 嗯 是 我 你 您 他 她 它 我们 你们 在 有 和 与 及 或 也 就 都 还 又 这
    那 这个 那个 请问 请 你好 您好 谢谢 一下 一个 个 把 被 给 让 对 从 向 到 为 着 过 得 地 么 啥
    能 会 要 想 可 可以 吧 哈"""
_STOP_EN = frozenset(_STOP_EN_WORDS.split())
_STOP_ZH = frozenset(_STOP_ZH_WORDS.split())


@dataclass(frozen=True)
class LanguageGuess:
    """The detected language of a text, with the evidence counted."""

    language: Language
    mixed: bool
    han_chars: int
    latin_words: int


def normalize(text: str) -> str:
    """NFKC-normalise (full-width to half-width) and collapse whitespace."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def detect_language(text: str) -> LanguageGuess:
    """Guess whether ``text`` is Chinese or English (see the module docstring)."""
    norm = unicodedata.normalize("NFKC", text)
    han = len(_HAN_CHAR.findall(norm))
    latin = len(_LATIN_WORD.findall(norm))
    if han and han >= latin:
        lang: Language = "zh"
    elif latin:
        lang = "en"
    else:
        lang = "other"
    return LanguageGuess(lang, mixed=bool(han and latin), han_chars=han, latin_words=latin)


def stem(word: str) -> str:
    """A light English suffix stemmer: plurals, then -ing, -ed, -ly, -ment, then a final -e.

    Conservative on purpose (after Harman's S-stemmer and Porter's last step): it only has to
    make "returns", "returned" and "returning" meet "return", and "purchase" meet "purchased";
    it never shortens a word below three letters.
    """
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "ches", "shes", "xes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix, shortest in (("ing", 3), ("ed", 4), ("ly", 3), ("ment", 3)):
        if word.endswith(suffix) and len(word) - len(suffix) >= shortest:
            word = word[: -len(suffix)]
            if suffix in ("ing", "ed") and len(word) > 3 and word[-1] == word[-2] != "s":
                word = word[:-1]  # shipped -> shipp -> ship, cancelled -> cancel
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]  # purchase and purchased both become purchas
    return word


def tokenize_en(text: str) -> list[str]:
    """English retrieval tokens: lower-cased words, stop words dropped, lightly stemmed."""
    out = []
    for w in _WORD.findall(text.lower()):
        if w in _STOP_EN or _LONG_NUMBER.match(w):
            continue
        out.append(stem(w.replace("'", "")))
    return out


class _Jieba:
    """One private jieba tokenizer for the process, initialised once, quietly."""

    _lock = threading.Lock()
    _tokenizer: object | None = None

    @classmethod
    def get(cls) -> object:
        if cls._tokenizer is None:
            with cls._lock:
                if cls._tokenizer is None:
                    import jieba

                    jieba.setLogLevel(logging.WARNING)  # "Building prefix dict..." on stderr
                    tok = jieba.Tokenizer()
                    tok.initialize()
                    cls._tokenizer = tok
        return cls._tokenizer


def tokenize_zh(text: str) -> list[str]:
    """Chinese retrieval tokens: jieba search-mode words without function words."""
    tok = _Jieba.get()
    words: list[str] = tok.lcut_for_search(text)  # type: ignore[attr-defined]
    return [w for w in words if w.strip() and w not in _STOP_ZH and _HAN_CHAR.search(w)]


def tokenize(text: str) -> list[str]:
    """Retrieval tokens of a text in English, Chinese or both (see the module docstring)."""
    norm = unicodedata.normalize("NFKC", text)
    tokens: list[str] = []
    pos = 0
    for run in _HAN_RUN.finditer(norm):
        if run.start() > pos:
            tokens += tokenize_en(norm[pos : run.start()])
        tokens += tokenize_zh(run.group())
        pos = run.end()
    if pos < len(norm):
        tokens += tokenize_en(norm[pos:])
    return tokens
