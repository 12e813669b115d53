"""Text clean-up shared by every stage that handles untrusted seed text."""

from __future__ import annotations

import re

# XML 1.0 §2.2 Char: tab, newline, carriage return, and everything from U+0020
# except surrogates and U+FFFE/U+FFFF. Anything else makes a feed ill-formed.
# The same section discourages DEL, the C1 controls and the noncharacters:
# readers "repair" them (feedparser turns U+0091 into a quotation mark) and
# validators warn, so they go too.
_XML_ILLEGAL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
    "\U0001fffe\U0001ffff\U0002fffe\U0002ffff\U0003fffe\U0003ffff\U0004fffe\U0004ffff"
    "\U0005fffe\U0005ffff\U0006fffe\U0006ffff\U0007fffe\U0007ffff\U0008fffe\U0008ffff"
    "\U0009fffe\U0009ffff\U000afffe\U000affff\U000bfffe\U000bffff\U000cfffe\U000cffff"
    "\U000dfffe\U000dffff\U000efffe\U000effff\U000ffffe\U000fffff\U0010fffe\U0010ffff]"
)
# The same class without the characters beyond U+FFFF: a class of BMP
# characters alone is matched from a bitmap, several times faster, and most
# seeds have no character beyond the BMP at all.
_XML_ILLEGAL_BMP = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
# Scraping leaves a space before closing punctuation ("diplomatik ." / "Reuters )")
# and after an opening bracket. Only these marks: a space before ":;!?" is correct French.
_SPACE_BEFORE = re.compile(r"(?<=\S)[ \t]+(?=[,.)](?:\s|$|[,.)\"'”’»]))")
_SPACE_AFTER = re.compile(r"(?<=\()[ \t]+")
# Marks that never follow a space in their scripts: CJK full stop and commas,
# the Devanagari danda, Arabic comma, semicolon and question mark.
_WIDE_MARK = re.compile("[。，、！？：；।॥،؛؟]")
_SPACE_BEFORE_WIDE = re.compile(r"(?<=\S)[ \t]+(?=[。，、！？：；।॥،؛؟])")
# A space character other than the plain one: most lines hold none, and a
# plain search for one is far cheaper than rewriting every space.
_ODD_SPACE = re.compile("[\t\u00a0\u2000-\u200a\u202f\u205f\u3000]")


def strip_xml_illegal(text: str) -> tuple[str, int]:
    """Return the text without characters XML forbids or discourages, and how many were removed."""
    # UTF-16 takes two code units only for characters beyond U+FFFF.
    has_astral = len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)
    cleaned, count = (_XML_ILLEGAL if has_astral else _XML_ILLEGAL_BMP).subn("", text)
    return cleaned, count


def repair_spacing(line: str) -> str:
    """Return a line with scraping artifacts in its spacing repaired."""
    # Each substitution runs only when a cheap substring test says it can
    # match: this runs on every line of every seed, and most lines are clean.
    # Most lines are ASCII, where the only odd space is a tab and no wide
    # mark occurs: isascii() is far cheaper than either search.
    ascii_only = line.isascii()
    if "  " in line or ("\t" in line if ascii_only else _ODD_SPACE.search(line)):
        line = _SPACES.sub(" ", line)
    line = line.strip()
    # Only single plain spaces are left, so these pairs are the only way in.
    if " ," in line or " ." in line or " )" in line:
        line = _SPACE_BEFORE.sub("", line)
    if "( " in line:
        line = _SPACE_AFTER.sub("", line)
    if not ascii_only and " " in line and _WIDE_MARK.search(line):
        line = _SPACE_BEFORE_WIDE.sub("", line)
    return line
