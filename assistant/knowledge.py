"""The porting FAQ: the knowledge-base file, its checks, and question matching.

The knowledge base is a YAML file the support team edits (see
`assistant/knowledge/faq.yaml`). Questions are matched by a linear classifier
over TF-IDF word and character n-grams, trained at load time on each topic's
example questions, title and answer, plus the file's out-of-scope examples as
a class of their own. A question gets a topic only when the classifier is
confident and the runner-up is clearly behind; otherwise it gets the polite
fallback and the closest topics as suggestions.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import numpy as np
import yaml

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).with_name("knowledge") / "faq.yaml"
DEFAULT_BRAND = "Rally Corp"

# The contract of DESIGN.md: every one of these ids has an entry.
TOPIC_IDS = (
    "what-is-porting",
    "documents-needed",
    "loa-contents",
    "bill-contents",
    "csr",
    "google-voice",
    "tollfree-landline-voip-evidence",
    "process-steps",
    "timeline",
    "delays-rejections",
    "keep-service-active",
    "cutover",
    "10dlc-registration",
    "10dlc-vetting-time",
    "minimize-downtime",
    "tollfree-resporg",
    "ineligible-reasons",
    "ineligible-alternatives",
    "multiple-numbers",
    "pin-account-unknown",
    "campaign-disruption",
    "submit-documents",
)

# Chosen by cross-validation on the file's own examples (`bench/bench_faq.py
# --choose`): the winning class must reach THRESHOLD and lead the runner-up,
# out of scope included, by MARGIN, because a wrong answer is worse than "I'm
# not sure". More training epochs than EPOCHS changed nothing but load time.
THRESHOLD = 0.3
MARGIN = 0.05
EPOCHS = 20
MIN_EXAMPLES = 8
# Fallback quick replies: topics at least this close, else the starter topics.
SUGGESTION_FLOOR = 0.05
STARTER_TOPICS = ("what-is-porting", "documents-needed", "timeline")

_OUT_OF_SCOPE = "__out_of_scope__"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

QUESTION_WORDS = frozenset(
    "what whats what's why how when where which who whom whose can could "
    "do does did is are was will would should shall may might must am if".split()
)
HELP_PHRASES = re.compile(
    r"\b(help|explain|tell me|not sure|unsure|don'?t know|no idea|wondering|"
    r"confused|don'?t understand|what if|need to know|question)\b"
)


def reads_as_question(text: str) -> bool:
    """Whether text is put as a question: a question mark, or a question word first."""
    said = text.strip().lower()
    if "?" in said:
        return True
    words = _WORD.findall(said)
    return bool(words) and words[0] in QUESTION_WORDS


class KnowledgeBaseError(Exception):
    """The knowledge-base file can't be read or doesn't have the expected shape."""


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    answer: str
    details: str
    related: tuple[str, ...]


@dataclass(frozen=True)
class Answer:
    topic: str | None
    score: float
    text: str
    related: list[tuple[str, str]] = field(default_factory=list)
    suggestions: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class EvalReport:
    """Top-1 accuracy on in-scope lines, rejection of out-of-scope lines, mistakes."""

    in_scope: int
    correct: int
    out_of_scope: int
    rejected: int
    # (expected topic or None, chosen topic or None, question)
    confusions: list[tuple[str | None, str | None, str]]

    @property
    def accuracy(self) -> float:
        return self.correct / self.in_scope if self.in_scope else 1.0

    @property
    def rejection(self) -> float:
        return self.rejected / self.out_of_scope if self.out_of_scope else 1.0


class KnowledgeBase:
    """Topics of the porting FAQ and a matcher that picks one for a question."""

    def __init__(self, data: dict, brand: str = DEFAULT_BRAND, source: str = ""):
        self.source = source
        self._data = data
        topics = data["topics"]
        self._entries = {t["id"]: _entry(t, brand) for t in topics}
        self._examples = {
            t["id"]: [_fill(e, brand) for e in t["examples"]] for t in topics
        }
        self._negatives = list(data.get("out_of_scope") or [])
        self._fallback = _fill(data.get("fallback") or "", brand).strip()
        self._context_rules = data.get("context") or {}
        self._normalizer = _Normalizer(data.get("synonyms") or {})
        self._matcher = _Matcher(self._training_set(), self._normalizer)

    @classmethod
    def load(
        cls, path: str | Path | None = None, brand: str = DEFAULT_BRAND
    ) -> KnowledgeBase:
        """Return the knowledge base at `path` (the shipped one when None), cached."""
        resolved = Path(path).resolve() if path else DEFAULT_PATH
        try:
            modified = resolved.stat().st_mtime_ns
        except OSError as error:
            raise KnowledgeBaseError(
                f"Can't read the knowledge base {resolved}: {error.strerror}."
            ) from error
        # The modification time is part of the key so an edited file is picked
        # up by the next question without a restart.
        return _load_cached(str(resolved), modified, brand)

    @property
    def ids(self) -> list[str]:
        return list(self._entries)

    def entry(self, topic_id: str) -> Entry:
        return self._entries[topic_id]

    def ask(self, question: str, context: dict | None = None) -> Answer:
        """Answer `question`, using what the conversation knows to pick the topic."""
        ranked = self.rank(question, context)
        (best, best_score), (_, runner_up) = ranked[0], ranked[1]

        confident = best_score >= THRESHOLD and best_score - runner_up >= MARGIN
        if best is not None and confident:
            entry = self._entries[best]
            related = [(rid, self._entries[rid].title) for rid in entry.related]
            text = f"{entry.answer}\n\n{entry.details}".strip()
            return Answer(best, round(best_score, 3), text, related, [])

        logger.debug(
            "FAQ fallback: best %s at %.2f", best or "out of scope", best_score
        )
        topics = [(t, s) for t, s in ranked if t is not None]
        closest = [t for t, s in topics if s >= SUGGESTION_FLOOR]
        picks = (closest or list(STARTER_TOPICS))[:3]
        suggestions = [(t, self._entries[t].title) for t in picks if t in self._entries]
        # The score of a fallback is how close the nearest topic came.
        return Answer(None, round(topics[0][1], 3), self._fallback, [], suggestions)

    def rank(
        self, question: str, context: dict | None = None
    ) -> list[tuple[str | None, float]]:
        """Every topic with its score, best first; None stands for out of scope."""
        scores = self._apply_context(self._matcher.scores(question), context or {})
        ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
        return [(None if t == _OUT_OF_SCOPE else t, s) for t, s in ranked]

    def looks_like_question(self, text: str) -> bool:
        """Tell whether free text reads like a question rather than an answer."""
        if reads_as_question(text):
            return True
        return bool(HELP_PHRASES.search(text.strip().lower()))

    def evaluate(self, rows: list[dict]) -> EvalReport:
        """Ask every `{"q", "topic"}` row and compare with the expected topic."""
        correct = rejected = 0
        confusions = []
        for row in rows:
            expected = row.get("topic")
            chosen = self.ask(row["q"]).topic
            if expected and chosen == expected:
                correct += 1
            elif not expected and chosen is None:
                rejected += 1
            else:
                confusions.append((expected, chosen, row["q"]))
        in_scope = sum(1 for row in rows if row.get("topic"))
        return EvalReport(in_scope, correct, len(rows) - in_scope, rejected, confusions)

    def validate(self) -> list[str]:
        """List what is wrong or missing in the file; empty when all is well."""
        problems = []
        for topic_id in TOPIC_IDS:
            if topic_id not in self._entries:
                problems.append(f"missing topic {topic_id!r} (listed in DESIGN.md)")
        for topic in self._data["topics"]:
            problems.extend(self._topic_problems(topic))
        problems.extend(self._example_problems())
        if not self._fallback:
            problems.append("no fallback text for questions outside porting")
        for source, targets in self._context_rules.items():
            for value, remap in (targets or {}).items():
                for topic_id in [*remap, *remap.values()]:
                    if topic_id not in self._entries:
                        where = f"context {source}={value}"
                        problems.append(f"{where}: unknown topic {topic_id!r}")
        return problems

    def _topic_problems(self, topic: dict) -> list[str]:
        topic_id = topic["id"]
        problems = []
        if topic_id not in TOPIC_IDS:
            problems.append(f"{topic_id}: not a topic id of DESIGN.md")
        for name in ("title", "answer", "details"):
            if not str(topic.get(name) or "").strip():
                problems.append(f"{topic_id}: empty {name}")
        for related in topic.get("related") or []:
            if related == topic_id:
                problems.append(f"{topic_id}: lists itself as related")
            elif related not in self._entries:
                problems.append(f"{topic_id}: unknown related topic {related!r}")
        if len(topic["examples"]) < MIN_EXAMPLES:
            count = len(topic["examples"])
            problems.append(
                f"{topic_id}: only {count} examples (at least {MIN_EXAMPLES})"
            )
        texts = [topic.get(name) or "" for name in ("title", "answer", "details")]
        for name in {n for text in texts for n in _PLACEHOLDER.findall(text)}:
            if name != "brand":
                problems.append(f"{topic_id}: unknown placeholder {{{name}}}")
        return problems

    def _example_problems(self) -> list[str]:
        owners: dict[str, list[str]] = {}
        for topic_id, examples in self._examples.items():
            for example in examples:
                owners.setdefault(_plain(example), []).append(topic_id)
        for example in self._negatives:
            owners.setdefault(_plain(example), []).append("out_of_scope")
        problems = []
        for example, where in owners.items():
            if len(where) > 1:
                places = ", ".join(sorted(set(where)))
                problems.append(f"duplicate example {example!r} in {places}")
        return problems

    def _training_set(self) -> tuple[list[str], list[str]]:
        texts, labels = [], []
        for topic_id, entry in self._entries.items():
            own = [entry.title, entry.answer, entry.details, *self._examples[topic_id]]
            texts.extend(own)
            labels.extend([topic_id] * len(own))
        texts.extend(self._negatives)
        labels.extend([_OUT_OF_SCOPE] * len(self._negatives))
        return texts, labels

    def _apply_context(
        self, scores: dict[str, float], context: dict
    ) -> dict[str, float]:
        # A generic question ("what do I upload?") has one right answer for a
        # customer whose number type we know, so the generic topics' scores go
        # to the specific one.
        scores = dict(scores)
        for source, value in context.items():
            if not isinstance(value, str):
                continue
            remap = (self._context_rules.get(source) or {}).get(value) or {}
            for generic, specific in remap.items():
                if generic in scores and specific in scores:
                    scores[specific] += scores.pop(generic)
        return scores


class _Normalizer:
    """Lower-cases, folds accents and maps the file's synonyms to one term."""

    def __init__(self, synonyms: dict[str, list[str]]):
        self._canonical = {}
        for term, variants in synonyms.items():
            for variant in variants or []:
                self._canonical[_plain(str(variant))] = _plain(term)
        # Longest variants first so "letter of authorization" wins over "letter".
        alternatives = sorted(self._canonical, key=len, reverse=True)
        pattern = "|".join(re.escape(v) for v in alternatives) or r"(?!x)x"
        self._pattern = re.compile(rf"(?<![a-z0-9])(?:{pattern})(?![a-z0-9])")

    def __call__(self, text: str) -> str:
        plain = _plain(text)
        return self._pattern.sub(lambda m: self._canonical[m.group(0)], plain)


class _Speller:
    """Replaces words the matcher has never seen by the nearest known word."""

    def __init__(self, texts: list[str]):
        self._vocabulary = sorted({w for text in texts for w in _WORD.findall(text)})
        self._known = frozenset(self._vocabulary)
        self.correct_word = functools.lru_cache(maxsize=4096)(self._correct_word)

    def __call__(self, text: str) -> str:
        return " ".join(self.correct_word(w) for w in _WORD.findall(text))

    def _correct_word(self, word: str) -> str:
        from rapidfuzz import process
        from rapidfuzz.distance import DamerauLevenshtein

        if word in self._known or len(word) < 4 or not word.isalpha():
            return word
        # One slip in a short word, two in a longer one; more is a different word.
        allowed = 1 if len(word) < 7 else 2
        match = process.extractOne(
            word,
            self._vocabulary,
            scorer=DamerauLevenshtein.distance,
            score_cutoff=allowed,
        )
        return match[0] if match else word


class _Matcher:
    """TF-IDF word and character n-grams fed to a logistic-loss linear model."""

    def __init__(self, training: tuple[list[str], list[str]], normalize: _Normalizer):
        # scikit-learn is imported here so that importing this module stays cheap.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier
        from sklearn.pipeline import make_union

        texts, labels = training
        self._normalize = normalize
        normalized = [normalize(text) for text in texts]
        self._speller = _Speller(normalized)

        self.features = make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        )
        matrix = self.features.fit_transform(normalized)
        self.model = SGDClassifier(
            loss="log_loss", alpha=1e-4, max_iter=EPOCHS, tol=None, random_state=0
        )
        self.model.fit(matrix, labels)
        self._classes = [str(c) for c in self.model.classes_]
        self._blocks = self._feature_blocks()
        weights, intercept = self.model.coef_, self.model.intercept_
        if len(self._classes) == 2:
            # scikit-learn keeps one row for two classes; the mirrored row gives
            # the same probabilities through the normalisation in scores().
            weights, intercept = (
                np.vstack([-weights, weights]),
                np.r_[-intercept, intercept],
            )
        self._weights, self._intercept = weights.T.copy(), intercept

    def prepare(self, question: str) -> str:
        """Normalize and spell-correct a question the way the model was trained."""
        return self._speller(self._normalize(question))

    def scores(self, question: str) -> dict[str, float]:
        # The same numbers as features.transform + model.predict_proba, computed
        # directly: scikit-learn's per-call checks cost ten times the arithmetic
        # for a single short question.
        columns, values = self._vector(self.prepare(question))
        decision = values @ self._weights[columns] + self._intercept
        probabilities = 1.0 / (1.0 + np.exp(-decision))
        probabilities /= probabilities.sum()
        return dict(zip(self._classes, probabilities.tolist(), strict=True))

    def _feature_blocks(self) -> list[tuple]:
        blocks, offset = [], 0
        for _, vectorizer in self.features.transformer_list:
            vocabulary = vectorizer.vocabulary_
            blocks.append(
                (vectorizer.build_analyzer(), vocabulary, vectorizer.idf_, offset)
            )
            offset += len(vocabulary)
        return blocks

    def _vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        columns: list[int] = []
        values: list[np.ndarray] = []
        for analyze, vocabulary, idf, offset in self._blocks:
            counts = Counter(vocabulary[t] for t in analyze(text) if t in vocabulary)
            if not counts:
                continue
            index = np.fromiter(counts, dtype=np.intp, count=len(counts))
            tf = 1.0 + np.log(
                np.fromiter(counts.values(), dtype=float, count=len(counts))
            )
            weight = tf * idf[index]
            columns.extend((index + offset).tolist())
            values.append(weight / np.linalg.norm(weight))
        if not values:
            return np.zeros(0, dtype=np.intp), np.zeros(0)
        return np.asarray(columns, dtype=np.intp), np.concatenate(values)


@functools.lru_cache(maxsize=8)
def _load_cached(path: str, modified: int, brand: str) -> KnowledgeBase:
    data = _read(Path(path))
    return KnowledgeBase(data, brand=brand, source=path)


def _read(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise KnowledgeBaseError(f"Can't read {path}: {error.strerror}.") from error
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{path} is not valid YAML: {error}") from error
    _check_shape(data, path)
    return data


def _check_shape(data: object, path: Path) -> None:
    """Raise KnowledgeBaseError when the file can't be used to answer at all."""
    if not isinstance(data, dict) or not isinstance(data.get("topics"), list):
        raise KnowledgeBaseError(f"{path}: expected a mapping with a 'topics' list.")
    if len(data["topics"]) < 2:
        raise KnowledgeBaseError(f"{path}: needs at least two topics.")
    seen = set()
    for number, topic in enumerate(data["topics"], start=1):
        if not isinstance(topic, dict):
            raise KnowledgeBaseError(f"{path}: topic {number} is not a mapping.")
        name = topic.get("id") or f"topic {number}"
        for key in ("id", "title", "answer", "details"):
            if not isinstance(topic.get(key), str):
                raise KnowledgeBaseError(f"{path}: {name} needs a text '{key}'.")
        for key in ("related", "examples"):
            values = topic.get(key)
            if not isinstance(values, list) or not all(
                isinstance(v, str) for v in values
            ):
                raise KnowledgeBaseError(
                    f"{path}: {name} needs a list of texts '{key}'."
                )
        if not topic["examples"]:
            raise KnowledgeBaseError(f"{path}: {name} has no example questions.")
        if topic["id"] in seen:
            raise KnowledgeBaseError(f"{path}: topic id {name!r} appears twice.")
        seen.add(topic["id"])
    negatives = data.get("out_of_scope")
    if negatives is not None and not (
        isinstance(negatives, list) and all(isinstance(v, str) for v in negatives)
    ):
        raise KnowledgeBaseError(f"{path}: 'out_of_scope' must be a list of texts.")
    synonyms = data.get("synonyms") or {}
    if not isinstance(synonyms, dict) or not all(
        isinstance(v, list) for v in synonyms.values()
    ):
        raise KnowledgeBaseError(f"{path}: 'synonyms' must map terms to lists.")
    context = data.get("context") or {}
    rules = context.values() if isinstance(context, dict) else [None]
    if not all(isinstance(r, dict) for r in rules) or not all(
        isinstance(remap, dict) for r in rules for remap in r.values()
    ):
        raise KnowledgeBaseError(
            f"{path}: 'context' must map a field and a value to topic pairs."
        )


def load_questions(path: str | Path) -> list[dict]:
    """Read a question set: one JSON object `{"q", "topic"}` per line."""
    rows = []
    for number, line in enumerate(
        Path(path).read_text(encoding="utf-8").splitlines(), 1
    ):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}:{number}: not JSON ({error.msg})") from error
        if not isinstance(row, dict) or not isinstance(row.get("q"), str):
            raise ValueError(f'{path}:{number}: expected {{"q": ..., "topic": ...}}')
        rows.append(row)
    return rows


def _entry(topic: dict, brand: str) -> Entry:
    return Entry(
        id=topic["id"],
        title=_fill(topic["title"], brand).strip(),
        answer=_fill(topic["answer"], brand).strip(),
        details=_fill(topic["details"], brand).strip(),
        related=tuple(topic["related"]),
    )


def _fill(text: str, brand: str) -> str:
    # str.replace, not str.format: answers may contain other braces.
    return text.replace("{brand}", brand)


def _plain(text: str) -> str:
    # Curly apostrophes first: the ASCII fold below would drop them.
    folded = unicodedata.normalize("NFKD", text.lower().replace("’", "'"))
    folded = folded.encode("ascii", "ignore").decode("ascii")
    return " ".join(_WORD.findall(folded))
