"""How each layout spells a file: header names, separators, quoting, encoding, compression.

- ``tsv``: Amazon's download. Tab-separated, unquoted, LF, UTF-8 without BOM, headers as
  Amazon writes them (Title Case ledger, lower-kebab reports). Values never hold a tab or a
  line break, so no quoting is needed.
- ``csv``: a spreadsheet export. Every field in double quotes, comma-separated, CRLF, UTF-8
  with BOM, sentence-case headers, and every text and JSON file gzip-compressed. One small
  returns export is in cp1252 instead, as Excel on Windows saves it.

The costs file is the seller's own: plain ``sku,unit_cost,currency`` in both layouts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from plugin.generator import tables

_ACRONYMS = {
    "id": "ID",
    "ids": "IDs",
    "sku": "SKU",
    "msku": "MSKU",
    "fnsku": "FNSKU",
    "asin": "ASIN",
    "cpf": "CPF",
}


def tab_line(fields: Sequence[str]) -> str:
    return "\t".join(fields) + "\n"


def quoted_line(fields: Sequence[str]) -> str:
    if '"' in "".join(fields):  # one pass in C; most rows have no quote at all
        fields = [field.replace('"', '""') for field in fields]
    return '"' + '","'.join(fields) + '"\r\n'


@dataclass(frozen=True)
class Layout:
    name: str
    text_suffix: str
    json_suffix: str
    compressed: bool
    bom: bool
    download_columns: bool  # the ledger's "Date and Time" and "Store"
    line: Callable[[Sequence[str]], str]
    sentence_case: bool

    def header(self, columns: Sequence[str], *, returns: bool = False) -> list[str]:
        """The header row of a report, spelled the way this layout writes it."""
        if columns is tables.LEDGER:
            kept = columns if self.download_columns else columns[: -tables.LEDGER_DOWNLOAD_ONLY]
            return [_sentence(c) for c in kept] if self.sentence_case else list(kept)
        if not self.sentence_case:
            return list(columns)
        spelled = [_sentence(c) for c in columns]
        if returns:  # Seller Central's returns export names the order column in full
            spelled = ["Amazon order ID" if c == "Order ID" else c for c in spelled]
        return spelled

    def text_name(self, stem: str) -> str:
        return stem + self.text_suffix

    def json_name(self, stem: str) -> str:
        return stem + self.json_suffix


def _sentence(column: str) -> str:
    """``amazon-order-id`` / ``Event Type`` -> ``Amazon order ID`` / ``Event type``."""
    words = column.replace("-", " ").split(" ")
    out = []
    for index, word in enumerate(words):
        lowered = word.lower()
        if lowered in _ACRONYMS:
            out.append(_ACRONYMS[lowered])
        elif index == 0:
            out.append(lowered.capitalize())
        else:
            out.append(lowered)
    return " ".join(out)


TSV = Layout("tsv", ".txt", ".json", False, False, True, tab_line, False)
CSV = Layout("csv", ".csv.gz", ".json.gz", True, True, False, quoted_line, True)
LEGACY_ENCODING = "cp1252"
LAYOUTS = {layout.name: layout for layout in (TSV, CSV)}
