"""Messages as documents a channel can carry: folded per robot, rendered, cut to size.

Pure. A chat robot gets one document per run holding every person's part, @-mentioning each
(300 reps on one robot are one message, not 15 minutes of sends at 20 a minute); an email
address gets one mail per person. A document over a channel's size keeps its first lines and
ends with "…and N more — see the Attention tab".
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from sheetfunnel.notify.digest import Item, Message, by_flag
from sheetfunnel.words import words_for
from sheetfunnel.words.notify import notify_words


@dataclass(frozen=True)
class Line:
    text: str
    url: str | None = None
    label: str = ""


@dataclass(frozen=True)
class Section:
    """``more``: lines left out before rendering (no channel shows that many)."""

    heading: str
    lines: tuple[Line, ...]
    more: int = 0


#: The most lines a section renders: no channel's size holds more (a line is 40+ bytes).
MAX_LINES = 1000


def item_section(heading: str, items: Sequence[Item], lang: str, words: Mapping[str, str],
                 budget: list[int] | None = None) -> Section:
    """At most MAX_LINES lines, and at most ``budget[0]`` (the lines a document may still
    render, shared by its sections and lowered here)."""
    cap = MAX_LINES if budget is None else max(0, min(MAX_LINES, budget[0]))
    if budget is not None:
        budget[0] -= min(cap, len(items))
    return Section(heading, tuple(_item_line(i, lang, words) for i in items[:cap]),
                   max(0, len(items) - cap))


@dataclass(frozen=True)
class Doc:
    title: str
    sections: tuple[Section, ...]
    mentions: tuple[str, ...] = ()
    footer: Line | None = None
    lang: str = "en"


@dataclass(frozen=True)
class Delivery:
    """One send: a document to a channel (``to``: the addresses of an email)."""

    channel: str
    kind: str
    doc: Doc
    messages: tuple[Message, ...]
    to: tuple[str, ...] = ()

    @property
    def audiences(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(m.person.name for m in self.messages))


def money(value: float) -> str:
    return f"{value:,.0f}"


def _item_line(item: Item, lang: str, words: Mapping[str, str]) -> Line:
    label = words_for(lang).flag_labels.get(item.code, item.code)
    step = f"{words['next_step']}: {item.next_step}" if item.next_step else words["no_next_step"]
    text = f"{label} · {item.title or item.deal} ({item.deal}, {money(item.amount)}) — " \
           f"{item.detail} · {step}"
    return Line(text, item.link if item.link.startswith("http") else None,
                words["open"] if item.link.startswith("http") else item.link)


def message_sections(message: Message, budget: list[int] | None = None) -> list[Section]:
    """The sections a person's message shows, in their language."""
    words, lang = notify_words(message.lang), message.lang
    name = message.person.name
    sections: list[Section] = []
    if message.kind == "escalation" and message.items:
        sections.append(item_section(f"{words['escalation_title']} — {name}", message.items,
                                     lang, words, budget))
    if message.kind == "rep":
        sections.append(Section(words["rep_title"].format(name=name), ()))
        labels = words_for(lang).flag_labels
        sections += [item_section(f"{labels.get(code, code)} ({len(items)})", items, lang,
                                  words, budget) for code, items in by_flag(message.items)]
    if message.kind == "manager":
        heading = words["manager_title"].format(name=name)
        head = words["headline"].format(**{k: _shown(message.headline.get(k)) for k in (
            "open_count", "open_amount", "weighted_pipeline", "won_this_month")})
        sections.append(Section(heading, (Line(head),)))
        labels = words_for(lang).flag_labels
        sections.append(Section(words["counts"], tuple(
            Line(f"{owner} · {labels.get(code, code)}: {n}")
            for owner, code, n in message.counts[:MAX_LINES]),
            max(0, len(message.counts) - MAX_LINES)))
        if message.new:
            sections.append(item_section(words["new"], message.new, lang, words, budget))
        if message.top:
            sections.append(item_section(words["top"], message.top, lang, words, budget))
    if message.resolved and message.kind != "escalation":
        labels = words_for(lang).flag_labels
        sections.append(Section(words["resolved"], tuple(
            Line(f"✅ {deal} · {labels.get(code, code)}")
            for _, deal, code in message.resolved[:MAX_LINES]),
            max(0, len(message.resolved) - MAX_LINES)))
    return sections


def _shown(value: object) -> str:
    if isinstance(value, float):
        return money(value)
    return "—" if value is None else str(value)


def fold(messages: Iterable[Message], kinds: Mapping[str, str], attention: Line,
         lang: str) -> list[Delivery]:
    """One delivery per chat robot, one per person for email (``kinds``: channel -> kind)."""
    groups: dict[tuple[str, str], list[Message]] = {}
    for message in messages:
        channel = message.person.channel
        kind = kinds.get(channel, "")
        key = (channel, message.person.name if kind == "email" else "")
        groups.setdefault(key, []).append(message)
    deliveries = []
    for (channel, person), group in groups.items():
        kind = kinds.get(channel, "")
        budget = [MAX_LINES]  # no channel shows more lines than this in one document
        sections = [s for m in group for s in message_sections(m, budget)]
        doc_lang = group[0].lang if group else lang
        words = notify_words(doc_lang)
        title = sections[0].heading if person and len(group) == 1 else words["folded_title"]
        mentions = tuple(dict.fromkeys(m.person.mention for m in group if m.person.mention))
        to = tuple(dict.fromkeys(m.person.email for m in group if m.person.email))
        deliveries.append(Delivery(channel, kind, Doc(title, tuple(sections), mentions,
                                                      attention, doc_lang), tuple(group), to))
    return deliveries


def render_markdown(doc: Doc, link: Callable[[str, str], str] = lambda t, u: f"[{t}]({u})",
                    bold: Callable[[str], str] = lambda t: f"**{t}**",
                    bullet: str = "- ", heading: str = "### ") -> str:
    """Markdown (DingTalk, WeCom, Feishu, Teams) or, with other marks, Slack mrkdwn."""
    parts = [f"{heading}{doc.title}"]
    for section in doc.sections:
        parts.append(bold(section.heading))
        parts += [bullet + with_link(line, link) for line in section.lines]
    if doc.footer is not None:
        parts.append(with_link(doc.footer, link))
    return "\n".join(parts)


def with_link(line: Line, link: Callable[[str, str], str]) -> str:
    if line.url:
        return f"{line.text} {link(line.label or 'open', line.url)}"
    return f"{line.text} ({line.label})" if line.label else line.text


def render_plain(doc: Doc) -> str:
    return render_markdown(doc, link=lambda t, u: u, bold=lambda t: t, bullet="• ", heading="")


def render_html(doc: Doc) -> str:
    """The HTML part of a mail; every text escaped."""
    out = [f"<h2>{html.escape(doc.title)}</h2>"]
    for section in doc.sections:
        out.append(f"<h3>{html.escape(section.heading)}</h3><ul>")
        out += [f"<li>{_html_line(line)}</li>" for line in section.lines]
        out.append("</ul>")
    if doc.footer is not None:
        out.append(f"<p>{_html_line(doc.footer)}</p>")
    return "<html><body>" + "\n".join(out) + "</body></html>"


def _html_line(line: Line) -> str:
    text = html.escape(line.text)
    if line.url:
        return f'{text} <a href="{html.escape(line.url, quote=True)}">' \
               f"{html.escape(line.label or 'open')}</a>"
    return f"{text} ({html.escape(line.label)})" if line.label else text


def fit(doc: Doc, size: Callable[[Doc], int], limit: int) -> Doc:
    """``doc`` when it fits ``size(doc) <= limit`` whole, else its first lines and a last line
    "…and N more — see the Attention tab" (the most lines that fit; a binary search over the
    lines whose text alone is within the limit)."""
    more = sum(s.more for s in doc.sections)
    if not more and size(doc) <= limit:
        return doc
    visible = sum(len(s.lines) for s in doc.sections)
    total = visible + more
    whole = _first(doc, visible, total)
    if size(whole) <= limit:
        return whole
    used, high = 0, 0
    for line in (line for s in doc.sections for line in s.lines):
        used += len(line.text.encode("utf-8")) + len(line.url or "")
        if used > limit:
            break
        high += 1
    low = 0
    while low < high:
        middle = (low + high + 1) // 2
        if size(_first(doc, middle, total)) <= limit:
            low = middle
        else:
            high = middle - 1
    return _first(doc, low, total)


def _first(doc: Doc, keep: int, total: int) -> Doc:
    sections: list[Section] = []
    left = keep
    for part in doc.sections:
        if left <= 0:
            break
        sections.append(replace(part, lines=part.lines[:left], more=0))
        left -= len(part.lines)
    more = Line(notify_words(doc.lang)["more"].format(n=total - keep))
    if sections:
        last = sections[-1]
        sections[-1] = replace(last, lines=(*last.lines, more))
    else:
        sections = [Section(doc.title, (more,))]
    return replace(doc, sections=tuple(sections))
