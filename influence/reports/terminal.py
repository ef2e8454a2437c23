"""`influence explain` in the terminal: the message with its spans highlighted, the evidence, and
the features that moved the score."""

from __future__ import annotations

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from influence.explain import Contribution, MessageExplanation

STYLES = {
    "GIFT": "black on green3",
    "PROMOTION": "black on sky_blue1",
    "EXCHANGE": "black on orange1",
    "THRESHOLD": "black on plum2",
    "CODE": "black on khaki1",
    "MONEY": "black on khaki1",
    "VENDOR": "underline bold dark_orange3",
    "PRODUCT": "underline dark_orange3",
    "AGENCY": "underline blue",
    "DATE": "underline dim",
}
PHRASES = ("GIFT", "PROMOTION", "EXCHANGE", "THRESHOLD", "CODE", "MONEY")


def highlighted(text: str, spans: list, start: int, end: int) -> Text:
    """`text[start:end]` with each span styled by its label (entities first, phrases on top)."""
    out = Text(text[start:end])
    order = sorted(spans, key=lambda s: s.label in PHRASES)
    for s in order:
        a, b = max(s.start, start), min(s.end, end)
        if a < b:
            out.stylize(STYLES.get(s.label, "bold"), a - start, b - start)
    return out


def _features(title: str, items: list[Contribution], colour: str) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    table.add_column("feature", overflow="fold")
    table.add_column("value", justify="right")
    table.add_column("weight", justify="right")
    table.add_column("contribution", justify="right", style=colour)
    for c in items:
        table.add_row(c.feature, f"{c.value:.3f}", f"{c.weight:+.3f}", f"{c.contribution:+.3f}")
    if not items:
        table.add_row("(none)", "", "", "")
    return table


def print_explanation(console: Console, result: MessageExplanation, threshold: float) -> None:
    row, m, why = result.row, result.row.message, result.features
    verdict = "[bold red]flagged[/]" if row.flagged else "not flagged"
    head = Text.from_markup(
        f"[bold]{row.score:.3f}[/] promotion for gifts, {verdict} (threshold {threshold:.3f})"
        + (f"; gift offer {row.gift_offer:.3f}" if row.gift_offer is not None else "")
        + (f", promotion request {row.promotion_request:.3f}" if row.promotion_request is not None else "")
    )
    meta = Table.grid(padding=(0, 2))
    for name, value in (("id", m.id), ("source", m.source), ("page", m.page), ("Bates", m.bates),
                        ("from", m.from_), ("to", m.to), ("date", m.date),
                        ("vendors", ", ".join(row.vendors))):  # fmt: skip
        if value not in (None, ""):
            meta.add_row(Text(name, style="dim"), Text(str(value)))
    console.print(Panel(Group(head, meta), title=m.subject or "(no subject)", title_align="left"))
    text, qs = m.text, m.quote_start
    author_end = qs if qs is not None else len(text)
    console.print(
        Panel(highlighted(text, result.spans, 0, author_end), title="author's text", title_align="left")
    )
    if qs is not None:
        console.print(Panel(highlighted(text, result.spans, qs, len(text)), style="dim",
                            title="quoted history (not the author's words)", title_align="left"))  # fmt: skip
    legend = Text("  ").join(Text(label.lower(), style=style) for label, style in STYLES.items())
    console.print(Text("highlights: ") + legend)
    evidence = Table(title="Evidence", title_justify="left", show_edge=False, pad_edge=False)
    for col in ("label", "text", "where", "offsets"):
        evidence.add_column(col, overflow="fold")
    for s in result.spans:
        if s.label in PHRASES:
            style = "dim" if s.where == "quote" else ""
            evidence.add_row(Text(s.label, style=STYLES[s.label]), Text(s.text, style=style), s.where,
                             f"{s.start}-{s.end}")  # fmt: skip
    console.print(evidence)
    console.print(_features("Features that pushed the score up", why.up, "green"))
    console.print(_features("Features that pushed the score down", why.down, "red"))
    note = (
        "contribution = value x weight: the feature in its own units (TF-IDF weight, rule value) times "
        "the logistic regression's coefficient per unit, in log-odds before calibration, mean over the "
        f"calibrated ensemble; intercept {why.intercept:+.3f}, total {why.decision:+.3f}."
    )
    console.print(Text(note, style="dim"))
