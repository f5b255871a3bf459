"""Porting FAQ benchmark: answer time and accuracy beside a plain TF-IDF baseline.

    .venv/bin/python bench/bench_faq.py            # time, accuracy, baseline
    .venv/bin/python bench/bench_faq.py --choose   # cross-validate threshold/margin

The baseline is what the issue measured: TF-IDF over the topics' own text
(title, answer, details), no example questions, nearest topic wins.
`--choose` re-fits the matcher on four fifths of the knowledge base's own
examples and scores the held-back fifth, for a grid of thresholds and margins;
the dev and held-out sets take no part in that choice.
"""

import argparse
import copy
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import_started = time.perf_counter()
import numpy as np  # noqa: E402
import yaml  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from assistant import knowledge  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - import_started

DEV_SET = ROOT.parent / "shared" / "data" / "faq-dev.jsonl"
HELD_OUT_SET = ROOT / "tests" / "data" / "faq-heldout.jsonl"
ROUNDS = 5


class AnswerTextBaseline:
    """Nearest topic by TF-IDF cosine over each topic's title, answer and details."""

    def __init__(self, kb: knowledge.KnowledgeBase, threshold: float = 0.1):
        self.ids = kb.ids
        texts = [" ".join(_topic_text(kb.entry(t))) for t in self.ids]
        self.vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english")
        self.matrix = self.vectorizer.fit_transform(texts)
        self.threshold = threshold

    def ask(self, question: str) -> str | None:
        similarity = (self.matrix @ self.vectorizer.transform([question]).T).toarray()
        best = int(similarity.argmax())
        return self.ids[best] if similarity[best, 0] >= self.threshold else None


def _topic_text(entry: knowledge.Entry) -> tuple[str, str, str]:
    return entry.title, entry.answer, entry.details


def score(ask, rows: list[dict]) -> tuple[float, float]:
    in_scope = [r for r in rows if r["topic"]]
    outside = [r for r in rows if not r["topic"]]
    accuracy = sum(ask(r["q"]) == r["topic"] for r in in_scope) / len(in_scope)
    rejection = sum(ask(r["q"]) is None for r in outside) / max(len(outside), 1)
    return accuracy, rejection


def median_ms(ask, questions: list[str]) -> float:
    timings = []
    for _ in range(ROUNDS):
        for question in questions:
            started = time.perf_counter()
            ask(question)
            timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def run_benchmark() -> None:
    started = time.perf_counter()
    knowledge.KnowledgeBase(_read_data())
    first_seconds = time.perf_counter() - started
    # A second build shows the fit alone, without scikit-learn's first import.
    started = time.perf_counter()
    kb = knowledge.KnowledgeBase(_read_data(), source="bench")
    fit_seconds = time.perf_counter() - started
    baseline = AnswerTextBaseline(kb)
    no_synonyms = knowledge.KnowledgeBase({**_read_data(), "synonyms": {}})

    sets = {"dev": _rows(DEV_SET), "held-out": _rows(HELD_OUT_SET)}
    questions = [r["q"] for rows in sets.values() for r in rows]
    print(
        f"imports {IMPORT_SECONDS:.2f} s, first load {first_seconds:.2f} s, "
        f"load and fit {fit_seconds:.2f} s"
    )
    print(f"{len(questions)} questions x {ROUNDS} rounds\n")
    print(f"{'method':44} {'median ms':>9}  " + "  ".join(f"{n:>17}" for n in sets))

    def sklearn_pipeline(question: str) -> str:
        # The same model asked through scikit-learn's own transform/predict.
        matcher = kb._matcher
        text = matcher.prepare(question)
        return matcher.model.predict_proba(matcher.features.transform([text]))

    methods = [
        ("baseline: TF-IDF over answer text only", baseline.ask),
        ("ours without synonyms", lambda q: no_synonyms.ask(q).topic),
        ("ours", lambda q: kb.ask(q).topic),
    ]
    for name, ask in methods:
        figures = "  ".join(_figures(score(ask, rows)) for rows in sets.values())
        print(f"{name:44} {median_ms(ask, questions):9.2f}  {figures}")
    slow = median_ms(sklearn_pipeline, questions)
    print(f"{'ours, scored through sklearn transform':44} {slow:9.2f}")
    print("\nfigures: top-1 accuracy in scope / share of out-of-scope rejected")


def _figures(pair: tuple[float, float]) -> str:
    return f"{pair[0]:7.1%} / {pair[1]:6.1%}"


def choose_threshold(folds: int = 5) -> None:
    data = _read_data()
    rows_by_fold = _fold_rows(data, folds)
    ranked_by_fold = []
    for fold in range(folds):
        kb = knowledge.KnowledgeBase(_without_fold(data, rows_by_fold, fold))
        ranked_by_fold.append([(r, kb.rank(r["q"])) for r in rows_by_fold[fold]])
    ranked = [pair for fold in ranked_by_fold for pair in fold]

    print(f"{folds}-fold cross-validation over the knowledge base's own examples")
    print(f"{'threshold':>9} {'margin':>6} {'in scope':>9} {'rejected':>9} {'mean':>6}")
    for threshold in (0.0, 0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5):
        for margin in (0.0, 0.05, 0.1):
            accuracy, rejection = _decide_all(ranked, threshold, margin)
            mean = (accuracy + rejection) / 2
            figures = f"{accuracy:9.1%} {rejection:9.1%} {mean:6.1%}"
            print(f"{threshold:9.2f} {margin:6.2f} {figures}")
    print(f"\nshipped: threshold {knowledge.THRESHOLD}, margin {knowledge.MARGIN}")


def _decide_all(ranked, threshold: float, margin: float) -> tuple[float, float]:
    hits = {True: [], False: []}
    for row, scores in ranked:
        (best, top), (_, second) = scores[0], scores[1]
        chosen = best if top >= threshold and top - second >= margin else None
        hits[bool(row["topic"])].append(chosen == row["topic"])
    return float(np.mean(hits[True])), float(np.mean(hits[False]))


def _fold_rows(data: dict, folds: int) -> list[list[dict]]:
    rows = [{"q": e, "topic": t["id"]} for t in data["topics"] for e in t["examples"]]
    rows += [{"q": e, "topic": None} for e in data.get("out_of_scope") or []]
    random.Random(0).shuffle(rows)
    return [rows[i::folds] for i in range(folds)]


def _without_fold(data: dict, rows_by_fold: list[list[dict]], fold: int) -> dict:
    held = {(r["q"], r["topic"]) for r in rows_by_fold[fold]}
    trimmed = copy.deepcopy(data)
    for topic in trimmed["topics"]:
        topic["examples"] = [
            e for e in topic["examples"] if (e, topic["id"]) not in held
        ]
    trimmed["out_of_scope"] = [
        e for e in trimmed.get("out_of_scope") or [] if (e, None) not in held
    ]
    return trimmed


def _read_data() -> dict:
    return yaml.safe_load(knowledge.DEFAULT_PATH.read_text(encoding="utf-8"))


def _rows(path: Path) -> list[dict]:
    if not path.exists():
        sys.exit(f"missing question set {path}")
    return knowledge.load_questions(path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choose", action="store_true", help="cross-validate")
    if parser.parse_args().choose:
        choose_threshold()
    else:
        run_benchmark()
