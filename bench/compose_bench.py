"""Composer benchmark: editorial defects, summary quality (ROUGE) and speed against baselines.

Usage: .venv/bin/python bench/compose_bench.py [DATA_DIR] [--repeat N] [--half report|tune]
       .venv/bin/python bench/compose_bench.py [DATA_DIR] --tune

DATA_DIR defaults to ../shared/data/news-dev relative to the repository (read in place, never
copied). Every dev set is split in two halves by a hash of its name and each story's id
(``half`` below): weights are tuned on the tuning half only (``--tune`` searches them there) and
ROUGE is reported on the other half. One run measures:

- editorial defects (``bot.compose.editorial.check_post`` against the article) of the X and the
  Telegram summary of every story of every dev set, both halves;
- on the reported half of xsum_dev, our X summary against Lead-1, and of cnndm_dev, our Telegram
  summary against Lead-3, sumy LexRank and sumy TextRank: ROUGE-1/2/Lsum F1 (rouge-score with
  stemming) and articles per second (median of N timing runs);
- X posts within 280 weighted characters, every story of every dev set;
- composing both posts against sumy LexRank on all of cnndm_dev, in the same run.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from rouge_score import rouge_scorer  # noqa: E402
from sumy.nlp.stemmers import Stemmer  # noqa: E402
from sumy.parsers.plaintext import PlaintextParser  # noqa: E402
from sumy.summarizers.lex_rank import LexRankSummarizer  # noqa: E402
from sumy.summarizers.text_rank import TextRankSummarizer  # noqa: E402

from bot.compose import (  # noqa: E402
    ComposeOptions,
    compose,
    render,
    summarize,
    weighted_length,
    x_post,
)
from bot.compose.editorial import check_post  # noqa: E402
from bot.compose.render import prepare  # noqa: E402
from bot.compose.sentences import split_sentences  # noqa: E402
from bot.compose.telegram_html import check_html  # noqa: E402
from bot.domain.models import ArticleDraft, Platform  # noqa: E402

URL = "https://news.example.com/2026/05/03/story-slug"
_URL_TAIL = re.compile(r"\s*https://news\.example\.com/\S*$")


class SimpleTokenizer:
    """An offline tokenizer for sumy (its default needs NLTK punkt data)."""

    _WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

    def to_sentences(self, paragraph: str) -> list[str]:
        """Sentences of a paragraph, by our own splitter."""
        return split_sentences(paragraph)

    def to_words(self, sentence: str) -> list[str]:
        """Words of a sentence."""
        return self._WORD.findall(sentence)


@dataclass
class Result:
    """Scores and speed of one method on one data set."""

    name: str
    dataset: str
    r1: float
    r2: float
    rl: float
    rate: float
    cpu_rate: float
    note: str = ""


def load(path: Path) -> list[dict[str, str]]:
    """Rows of a JSONL file."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def half(dataset: str, row_id: str) -> str:
    """The half of its dev set a story belongs to: ``tune`` or ``report`` (fixed by its id)."""
    digest = hashlib.sha256(f"{dataset}:{row_id}".encode()).digest()
    return "tune" if digest[0] % 2 == 0 else "report"


def rouge(preds: list[str], refs: list[str]) -> tuple[float, float, float]:
    """Mean ROUGE-1/2/Lsum F1 (x100) with stemming."""
    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    totals = [0.0, 0.0, 0.0]
    for p, r in zip(preds, refs, strict=True):
        p_lines = "\n".join(split_sentences(p))
        r_lines = "\n".join(split_sentences(r))
        s = scorer.score(r_lines, p_lines)
        totals[0] += s["rouge1"].fmeasure
        totals[1] += s["rouge2"].fmeasure
        totals[2] += s["rougeLsum"].fmeasure
    return tuple(100 * t / len(preds) for t in totals)  # type: ignore[return-value]


def timed(
    fn: Callable[[dict[str, str]], str], rows: list[dict[str, str]], repeat: int
) -> tuple[list[str], float, float]:
    """Outputs of ``fn`` over rows and the median articles per wall second and per CPU second.

    CPU time (this process only) is what other work on a shared machine disturbs least.
    """
    outputs: list[str] = []
    rates = []
    cpu_rates = []
    for _ in range(repeat):
        prepare.cache_clear()
        weighted_length.cache_clear()
        start, cpu_start = time.perf_counter(), time.process_time()
        outputs = [fn(r) for r in rows]
        cpu = max(time.process_time() - cpu_start, 1e-9)
        rates.append(len(rows) / (time.perf_counter() - start))
        cpu_rates.append(len(rows) / cpu)
    return outputs, statistics.median(rates), statistics.median(cpu_rates)


def lead(n: int) -> Callable[[dict[str, str]], str]:
    """The first ``n`` sentences."""

    def run(row: dict[str, str]) -> str:
        sents = [s for p in row["text"].split("\n") for s in split_sentences(p)]
        return " ".join(sents[:n])

    return run


def sumy_method(kind: str, n: int) -> Callable[[dict[str, str]], str]:
    """sumy LexRank or TextRank picking ``n`` sentences, with our offline tokenizer."""
    tokenizer = SimpleTokenizer()
    summarizer = (LexRankSummarizer if kind == "lexrank" else TextRankSummarizer)(Stemmer("english"))

    def run(row: dict[str, str]) -> str:
        doc = PlaintextParser.from_string(row["text"], tokenizer).document
        return " ".join(str(s) for s in summarizer(doc, n))

    return run


def story(row: dict[str, str]) -> ArticleDraft:
    """A benchmark row as a story."""
    return ArticleDraft(url=URL, title=row.get("title") or "", text=row["text"], language="en")


X_OPTS = ComposeOptions(Platform.X)
TG_OPTS = ComposeOptions(Platform.TELEGRAM)


def x_summary(row: dict[str, str]) -> str:
    """Our X post without its link."""
    return _URL_TAIL.sub("", compose(story(row), X_OPTS).parts[0])


def tg_summary(row: dict[str, str]) -> str:
    """Our Telegram post's summary paragraph, as plain text."""
    plain = check_html(compose(story(row), TG_OPTS).parts[0])
    blocks = plain.split("\n\n")
    title = row.get("title") or ""
    body = [b for b in blocks if b and b != title and not b.startswith(("Read more", "#"))]
    return " ".join(body)


def both_posts(row: dict[str, str]) -> str:
    """Compose both posts (the cost a story really has)."""
    s = story(row)
    return compose(s, X_OPTS).parts[0] + compose(s, TG_OPTS).parts[0]


# The four defects (and two more rules of the check), as rule names of the check.
DEFECTS = [
    ("broken quotation", "unbalanced-marks"),
    ("ends at abbreviation", "ends-at-abbreviation"),
    ("glued fragments", "glued-fragment"),
    ("leaning opener", "leaning-opener"),
    ("quote without speaker", "quote-without-speaker"),
    ("cut sentence", "cut-sentence"),
]


def defects(rows: list[dict[str, str]], summary: Callable[[dict[str, str]], str]) -> dict[str, list[str]]:
    """Per rule, the summaries (of ``rows``) that break it, checked against their article."""
    found: dict[str, list[str]] = {rule: [] for _, rule in DEFECTS}
    for row in rows:
        text = summary(row)
        for warning in check_post(text, article=row["text"]):
            found[warning.rule].append(f"{row['id']}: {warning.sentence}")
    return found


def machine() -> str:
    """nproc and CPU model."""
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        model = platform.processor()
    return f"nproc={nproc}, CPU: {model or 'unknown'}, Python {platform.python_version()}"


# What ``--tune`` searches (module constants of ``bot.compose.summarize``).
GRID = {
    "W_CENTRALITY": (0.3, 0.45, 0.6),
    "W_TITLE": (0.5,),
    "W_DENSITY": (0.1, 0.2, 0.3),
    "POSITION_DECAY": (0.8, 1.0, 1.3),
    "SHORT_PENALTY": (0.0, 0.5),
}


X_BUDGETS = (160, 180, 200, 220, 240, 256)
CANDIDATE_COUNTS = (14, 16, 18, 20)


def tune(xsum: list[dict[str, str]], cnndm: list[dict[str, str]]) -> None:
    """Search ``GRID`` on the tuning halves: the margins over Lead-1 (X) and Lead-3 (Telegram)."""
    xs = [r for r in xsum if half("xsum_dev", r["id"]) == "tune"]
    cn = [r for r in cnndm if half("cnndm_dev", r["id"]) == "tune"]
    lead1 = rouge([lead(1)(r) for r in xs], [r["summary"] for r in xs])
    lead3 = rouge([lead(3)(r) for r in cn], [r["summary"] for r in cn])
    print(f"tuning half: xsum {len(xs)} stories (Lead-1 R1 {lead1[0]:.2f}), "
          f"cnndm {len(cn)} (Lead-3 R1/R2 {lead3[0]:.2f}/{lead3[1]:.2f})")
    names = list(GRID)
    rows = []
    for values in itertools.product(*GRID.values()):
        for name, value in zip(names, values, strict=True):
            setattr(summarize, name, value)
        summarize._positions.cache_clear()
        prepare.cache_clear()
        x = rouge([x_summary(r) for r in xs], [r["summary"] for r in xs])
        t = rouge([tg_summary(r) for r in cn], [r["summary"] for r in cn])
        margin = min(x[0] - lead1[0] - 2.5, t[0] - lead3[0] - 0.5, t[1] - lead3[1] - 0.5)
        rows.append((margin, values, x[0] - lead1[0], t[0] - lead3[0], t[1] - lead3[1]))
        print(dict(zip(names, values, strict=True)), f"X +{x[0] - lead1[0]:.2f} "
              f"TG +{t[0] - lead3[0]:.2f}/+{t[1] - lead3[1]:.2f}", flush=True)
    best = max(rows)
    print("best:", dict(zip(names, best[1], strict=True)),
          f"X +{best[2]:.2f} TG +{best[3]:.2f}/+{best[4]:.2f}")
    # Then the X summary's budget, with those weights (it changes only the X post).
    for name, value in zip(names, best[1], strict=True):
        setattr(summarize, name, value)
    summarize._positions.cache_clear()
    margins = []
    for budget in X_BUDGETS:
        x_post.X_SUMMARY_CHARS = budget
        prepare.cache_clear()
        x = rouge([x_summary(r) for r in xs], [r["summary"] for r in xs])
        margins.append((x[0] - lead1[0], budget))
        print(f"X_SUMMARY_CHARS {budget}: X +{x[0] - lead1[0]:.2f}", flush=True)
    # And how many sentences are read (fewer is faster), with the best budget.
    x_post.X_SUMMARY_CHARS = max(margins)[1]
    for count in CANDIDATE_COUNTS:
        render.CANDIDATES = count
        prepare.cache_clear()
        x = rouge([x_summary(r) for r in xs], [r["summary"] for r in xs])
        t = rouge([tg_summary(r) for r in cn], [r["summary"] for r in cn])
        print(f"CANDIDATES {count}: X +{x[0] - lead1[0]:.2f} "
              f"TG +{t[0] - lead3[0]:.2f}/+{t[1] - lead3[1]:.2f}", flush=True)


def main() -> None:
    """Run the benchmark and print a Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(REPO.parent / "shared/data/news-dev"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--half", choices=("report", "tune"), default="report")
    parser.add_argument("--tune", action="store_true", help="search the weights on the tuning half")
    parser.add_argument("--show", action="store_true", help="print every defect found")
    args = parser.parse_args()
    data = Path(args.data)
    sets = {
        name: load(data / f"{name}.jsonl") for name in ("xsum_dev", "cnndm_dev", "bbc_dev")
    }
    if args.tune:
        tune(sets["xsum_dev"], sets["cnndm_dev"])
        return
    xsum = [r for r in sets["xsum_dev"] if half("xsum_dev", r["id"]) == args.half]
    cnndm = [r for r in sets["cnndm_dev"] if half("cnndm_dev", r["id"]) == args.half]
    results: list[Result] = []

    def run(
        name: str,
        ds: str,
        rows: list[dict[str, str]],
        fn: Callable[..., str],
        rep: int,
        note: str = "",
    ) -> list[str]:
        preds, rate, cpu_rate = timed(fn, rows, rep)
        r1, r2, rl = rouge(preds, [r["summary"] for r in rows])
        label = f"{ds} ({args.half} half, {len(rows)})"
        results.append(Result(name, label, r1, r2, rl, rate, cpu_rate, note))
        return preds

    print(f"Machine: {machine()}\n")
    print("Editorial defects, every story of every dev set (both halves), checked against the article:\n")
    print("| data | post | summaries | " + " | ".join(d for d, _ in DEFECTS) + " |")
    print("|---|---|---:|" + "---:|" * len(DEFECTS))
    shown: list[str] = []
    within = total = 0
    for name, rows in sets.items():
        for post, fn in (("X", x_summary), ("Telegram", tg_summary)):
            found = defects(rows, fn)
            counts = " | ".join(str(len(found[rule])) for _, rule in DEFECTS)
            print(f"| {name} | {post} | {len(rows)} | {counts} |")
            shown.extend(f"{name} {post} {rule}: {item}" for rule, items in found.items() for item in items)
        x_posts = [compose(story(r), X_OPTS).parts[0] for r in rows]
        within += sum(weighted_length(p) <= 280 for p in x_posts)
        total += len(x_posts)
    print(f"\nX posts within 280 weighted: {within}/{total} (all dev sets).\n")
    if args.show:
        print("\n".join(shown) + "\n")

    run("Lead-1", "xsum_dev", xsum, lead(1), args.repeat)
    run("crosspost X summary", "xsum_dev", xsum, x_summary, args.repeat)
    run("Lead-3", "cnndm_dev", cnndm, lead(3), args.repeat)
    run("crosspost Telegram summary", "cnndm_dev", cnndm, tg_summary, args.repeat)
    sumy_rep = max(1, min(3, args.repeat))
    run("sumy LexRank (3 sentences)", "cnndm_dev", cnndm, sumy_method("lexrank", 3), sumy_rep)
    run("sumy TextRank (3 sentences)", "cnndm_dev", cnndm, sumy_method("textrank", 3), sumy_rep)
    print("| data | method | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | articles/s | articles/CPU-s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.dataset} | {r.name} | {r.r1:.2f} | {r.r2:.2f} | {r.rl:.2f} | {r.rate:,.0f} "
            f"| {r.cpu_rate:,.0f} |"
        )
    by = {r.name: r for r in results}
    x, l1 = by["crosspost X summary"], by["Lead-1"]
    tg, l3 = by["crosspost Telegram summary"], by["Lead-3"]
    print(
        f"\nMargins: X ROUGE-1 {x.r1 - l1.r1:+.2f} over Lead-1 (target +2.5); Telegram ROUGE-1 "
        f"{tg.r1 - l3.r1:+.2f}, ROUGE-2 {tg.r2 - l3.r2:+.2f} over Lead-3 (target +0.5 each)."
    )
    all_cnndm = sets["cnndm_dev"]
    _, lex_rate, lex_cpu = timed(sumy_method("lexrank", 3), all_cnndm, sumy_rep)
    _, both_rate, both_cpu = timed(both_posts, all_cnndm, args.repeat)
    print(
        f"Composing both posts (X + Telegram) on all of cnndm_dev: {both_rate:,.0f} articles/s "
        f"({both_rate / lex_rate:.1f}× sumy LexRank's {lex_rate:,.0f}/s); by CPU time "
        f"{both_cpu:,.0f} articles/CPU-s ({both_cpu / lex_cpu:.1f}× LexRank's {lex_cpu:,.0f})."
    )
    split_rows = sets["cnndm_dev"] + sets["xsum_dev"]
    _, split_rate, _ = timed(lambda r: "|".join(split_sentences(r["text"])), split_rows, args.repeat)
    print(f"Sentence splitting alone: {split_rate:,.0f} articles/s.")


if __name__ == "__main__":
    main()
