"""Hand-written news pages: the story wrapped in navigation, cookie banners, related links, footers.

Each page lists the words that must NOT reach the extracted text (``chrome``).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """A page, its exact headline, sentences of its body, and boilerplate that must be left out."""

    html: str
    title: str
    body: tuple[str, ...]
    chrome: tuple[str, ...]


_NAV = """
<header class="site-header">
  <a class="logo" href="/">City Times</a>
  <nav class="main-nav"><ul>
    <li><a href="/">Home</a></li><li><a href="/politics">Politics</a></li>
    <li><a href="/business">Business</a></li><li><a href="/weather">Weather forecast</a></li>
    <li><a href="/sport">Sport results</a></li><li><a href="/login">Sign in to your account</a></li>
  </ul></nav>
</header>
<div id="cookie-consent" class="cookie-banner" role="dialog">
  <p>We use cookies and similar technologies to personalise advertising and measure traffic.
     By clicking "Accept all cookies" you agree to our use of cookies.</p>
  <button>Accept all cookies</button><button>Manage preferences</button>
</div>"""

_FOOTER = """
<footer class="site-footer">
  <ul><li><a href="/about">About City Times</a></li><li><a href="/privacy">Privacy policy</a></li>
  <li><a href="/contact">Contact the newsroom</a></li></ul>
  <p>© 2026 City Times Media Group. All rights reserved. Registered in Riverton.</p>
</footer>"""

_RELATED = """
<aside class="related">
  <h2>Related stories</h2>
  <ul>
    <li><a href="/news/library">Mayor opens the new northern district library to crowds</a></li>
    <li><a href="/news/tram">Tram line extension delayed again by supplier dispute</a></li>
    <li><a href="/news/zoo">Zoo welcomes twin red panda cubs born in the spring</a></li>
  </ul>
</aside>
<section class="newsletter"><h3>Subscribe to our newsletter</h3>
  <p>Get the morning briefing delivered to your inbox every weekday.</p>
  <form><input type="email" placeholder="Your email"><button>Sign up</button></form></section>"""

_BUDGET_BODY = (
    "The city council approved the 2026 budget early on Tuesday after a session that ran for "
    "eleven hours, with 31 members voting in favour and 12 against.",
    "The plan funds forty new electric buses, the repair of two river bridges and a pay rise "
    "for nurses at the municipal hospital, the mayor told reporters outside the chamber.",
    "Opposition members argued that the budget relies on optimistic tax forecasts and warned "
    "of painful cuts next year if growth slows.",
    "The finance committee will publish a detailed breakdown of spending by district on Friday.",
)

BUDGET = Page(
    html=f"""<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Council passes 2026 budget after eleven-hour session | City Times</title>
<meta property="og:title" content="Council passes 2026 budget after eleven-hour session">
<meta property="og:image" content="/images/2026/council-chamber.jpg">
<meta property="og:image:alt" content="Councillors   vote in the chamber">
<meta property="article:published_time" content="2026-03-03T06:40:00+02:00">
<link rel="canonical" href="https://citytimes.example/politics/council-budget-2026">
<script type="application/ld+json">{{"@type": "NewsArticle",
  "headline": "Council passes 2026 budget after eleven-hour session",
  "datePublished": "2026-03-03T06:40:00+02:00"}}</script>
</head><body>{_NAV}
<main>
<nav class="breadcrumbs"><a href="/">Home</a> › <a href="/politics">Politics</a></nav>
<article class="story">
  <h1>Council passes 2026 budget after eleven-hour session</h1>
  <p class="byline">By Maria Lopez, City Hall reporter</p>
  <figure><img src="/images/2026/council-chamber.jpg" alt="The chamber">
    <figcaption>The council chamber on Monday night.</figcaption></figure>
  {"".join(f"<p>{s}</p>" for s in _BUDGET_BODY)}
  <div class="share"><a href="#">Share on Facebook</a> <a href="#">Share on X</a></div>
</article>
{_RELATED}
</main>{_FOOTER}</body></html>""",
    title="Council passes 2026 budget after eleven-hour session",
    body=_BUDGET_BODY,
    chrome=("Accept all cookies", "Weather forecast", "Related stories", "red panda",
            "Subscribe to our newsletter", "All rights reserved", "Privacy policy", "Share on"),
)

_UK_BODY = (
    "Міська рада у вівторок ухвалила рішення про відновлення пішохідного мосту через річку, "
    "зруйнованого повінню минулої весни.",
    "Роботи почнуться у травні й триватимуть близько восьми місяців, повідомив заступник "
    "міського голови на брифінгу.",
    "Мешканці лівого берега досі змушені добиратися до центру міста автобусом в об'їзд, що "
    "забирає понад сорок хвилин.",
)

BRIDGE_UK = Page(
    html=f"""<!DOCTYPE html>
<html lang="uk"><head><meta charset="utf-8">
<title>Рада ухвалила відновлення пішохідного мосту — Міські новини</title>
<meta name="description" content="Коротко про міст">
<meta property="og:image" content="https://cdn.citytimes.example/bridge.jpg">
</head><body>
<div class="topbar"><a href="/">Головна</a> <a href="/weather">Прогноз погоди</a>
  <a href="/ads">Реклама на сайті</a></div>
<div class="gdpr">Цей сайт використовує файли cookie. <a href="#">Погоджуюсь</a></div>
<div class="content"><div class="article-body">
  <h1>Рада ухвалила відновлення пішохідного мосту</h1>
  <time datetime="2026-04-14T10:15:00+03:00">14 квітня 2026</time>
  {"".join(f"<p>{s}</p>" for s in _UK_BODY)}
</div>
<div class="most-read"><h3>Найпопулярніше</h3><ol>
  <li><a href="/a">Ціни на каву зросли вдруге за рік</a></li>
  <li><a href="/b">У парку відкрили новий дитячий майданчик</a></li></ol></div>
</div>
<div class="footer">© 2026 Міські новини. Усі права захищено. Передрук лише з дозволу редакції.</div>
</body></html>""",
    title="Рада ухвалила відновлення пішохідного мосту",
    body=_UK_BODY,
    chrome=("Прогноз погоди", "cookie", "Найпопулярніше", "Ціни на каву", "Усі права захищено",
            "Реклама на сайті"),
)

_FIRE_BODY = (
    "Firefighters brought a blaze at the old textile warehouse on Mill Street under control on "
    "Sunday evening after battling it for more than six hours.",
    "No one was injured, the fire service said, but smoke forced the closure of the nearby "
    "railway line for most of the afternoon.",
    "Investigators will examine the building on Monday to establish the cause of the fire, "
    "which neighbours said began on the top floor.",
)

FIRE = Page(
    html=f"""<html><head><title>Warehouse fire on Mill Street brought under control - City Times</title>
<meta name="twitter:image" content="//cdn.citytimes.example/fire.jpg">
</head><body>{_NAV}
<div id="main"><div class="post">
  <h1 class="headline">Warehouse fire on Mill Street brought under control</h1>
  <div class="entry-content">{"".join(f"<p>{s}</p>" for s in _FIRE_BODY)}</div>
  <div class="tags">Tags: <a href="/t/fire">fire</a> <a href="/t/mill">Mill Street</a></div>
</div>
<div class="comments"><h3>Comments (2)</h3>
  <div class="comment">Great work by the crews, thank you all!</div>
  <div class="comment">When will the trains run normally again?</div></div>
{_RELATED}
</div>{_FOOTER}</body></html>""",
    title="Warehouse fire on Mill Street brought under control",
    body=_FIRE_BODY,
    chrome=("Accept all cookies", "Great work by the crews", "Related stories", "Tram line",
            "All rights reserved", "Sign in to your account"),
)

NO_BODY = f"""<!DOCTYPE html><html lang="en"><head><title>Photo gallery | City Times</title></head>
<body>{_NAV}<main><h1>Photo gallery</h1>
<div class="gallery"><img src="/g/1.jpg"><img src="/g/2.jpg"><img src="/g/3.jpg"></div>
</main>{_RELATED}{_FOOTER}</body></html>"""

PAGES = {"budget": BUDGET, "bridge": BRIDGE_UK, "fire": FIRE}


def article_html(title: str, paragraphs: list[str], *, canonical: str | None = None) -> str:
    """A plain article page around ``paragraphs`` (used for feed items' full text)."""
    link = f'<link rel="canonical" href="{canonical}">' if canonical else ""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (f"<html lang='en'><head><title>{title} | City Times</title>{link}</head><body>{_NAV}"
            f"<article><h1>{title}</h1>{body}</article>{_RELATED}{_FOOTER}</body></html>")
