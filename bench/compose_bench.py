"""Composer benchmark: summary quality (ROUGE) and speed against simple and classic baselines.

Usage: .venv/bin/python bench/compose_bench.py [DATA_DIR] [--repeat N]

DATA_DIR defaults to ../shared/data/news-dev relative to the repository (read in place, never
copied). One run measures, on xsum_dev, our X summary against Lead-1 and, on cnndm_dev, our
Telegram summary against Lead-3, sumy LexRank and sumy TextRank: ROUGE-1/2/Lsum F1 (rouge-score
with stemming) and articles per second (median of N timing runs).
"""

from __future__ import annotations

import argparse
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

from bot.compose import ComposeOptions, compose, weighted_length  # noqa: E402
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


def main() -> None:
    """Run the benchmark and print a Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", default=str(REPO.parent / "shared/data/news-dev"))
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    data = Path(args.data)
    xsum = load(data / "xsum_dev.jsonl")
    cnndm = load(data / "cnndm_dev.jsonl")
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
        results.append(Result(name, ds, r1, r2, rl, rate, cpu_rate, note))
        return preds

    run("Lead-1", "xsum_dev", xsum, lead(1), args.repeat)
    run("crosspost X summary", "xsum_dev", xsum, x_summary, args.repeat)
    x_posts = [compose(story(r), X_OPTS).parts[0] for r in xsum]
    within = sum(weighted_length(p) <= 280 for p in x_posts)
    results[-1].note = f"{within}/{len(x_posts)} posts ≤ 280 weighted"
    run("Lead-3", "cnndm_dev", cnndm, lead(3), args.repeat)
    run("crosspost Telegram summary", "cnndm_dev", cnndm, tg_summary, args.repeat)
    sumy_rep = max(1, min(3, args.repeat))
    run("sumy LexRank (3 sentences)", "cnndm_dev", cnndm, sumy_method("lexrank", 3), sumy_rep)
    run("sumy TextRank (3 sentences)", "cnndm_dev", cnndm, sumy_method("textrank", 3), sumy_rep)
    _, both_rate, both_cpu = timed(both_posts, cnndm, args.repeat)

    print(f"Machine: {machine()}\n")
    print("| data | method | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | articles/s | articles/CPU-s | note |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        print(
            f"| {r.dataset} | {r.name} | {r.r1:.2f} | {r.r2:.2f} | {r.rl:.2f} | {r.rate:,.0f} "
            f"| {r.cpu_rate:,.0f} | {r.note} |"
        )
    lex = next(r for r in results if r.name.startswith("sumy LexRank"))
    print(
        f"\nComposing both posts (X + Telegram) on cnndm_dev: {both_rate:,.0f} articles/s "
        f"({both_rate / lex.rate:.1f}× sumy LexRank's {lex.rate:,.0f}/s); by CPU time "
        f"{both_cpu:,.0f} articles/CPU-s ({both_cpu / lex.cpu_rate:.1f}× LexRank's {lex.cpu_rate:,.0f})."
    )
    split_rows = cnndm + xsum
    _, split_rate, _ = timed(lambda r: "|".join(split_sentences(r["text"])), split_rows, args.repeat)
    print(f"Sentence splitting alone: {split_rate:,.0f} articles/s.")


if __name__ == "__main__":
    main()
