"""A small HTML tree and CSS-selector subset over the HTML a server sent (stdlib html.parser).

Pure: adapters read fetched bodies with it, and the registry checks `extract` selectors with it.
Supported CSS: type selectors (``li``), ``*``, ``.class``, ``#id``, ``[attr]``, ``[attr=value]``
(value bare or quoted), compounds of these (``li.item[data-id]``), and the descendant (space) and
child (``>``) combinators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Optional, Union

SUPPORTED_CSS = "tag, *, .class, #id, [attr], [attr=value], descendant (space) and child (>) combinators"

# -- a small CSS subset ----------------------------------------------------------------------

_NAME = r"[\w-]+"
_COMPOUND_PART = re.compile(
    rf"""(?P<tag>{_NAME}|\*)
       |\#(?P<id>{_NAME})
       |\.(?P<cls>{_NAME})
       |\[\s*(?P<attr>[\w:-]+)\s*(?:=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>{_NAME}))\s*)?\]""",
    re.VERBOSE,
)
_COMBINATOR = re.compile(r"\s*>\s*|\s+")


class SelectorError(ValueError):
    """A css value outside the supported subset; the message says where and what is allowed."""


@dataclass(frozen=True)
class Compound:
    """One compound selector: every condition must hold for the element."""

    tag: Optional[str] = None  # lower-case; None for * or no type
    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    attrs: tuple[tuple[str, Optional[str]], ...] = ()  # (name, value or None for presence)

    def matches(self, element: "Element") -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        if any(element.attrs.get("id") != wanted for wanted in self.ids):
            return False
        classes = element.attrs.get("class", "").split()
        if any(wanted not in classes for wanted in self.classes):
            return False
        return all(
            name in element.attrs and (value is None or element.attrs[name] == value)
            for name, value in self.attrs
        )


#: A parsed selector: compounds with the combinator that joins each to the previous one.
Selector = tuple[tuple[str, Compound], ...]


def parse_selector(text: str) -> Selector:
    """Parse `text` within the supported subset; SelectorError otherwise."""
    source = text.strip()
    if not source:
        raise SelectorError("empty CSS selector")
    parts: list[tuple[str, Compound]] = []
    position, combinator = 0, " "
    while True:
        compound, position = _compound(source, position)
        parts.append((combinator, compound))
        if position == len(source):
            return tuple(parts)
        joint = _COMBINATOR.match(source, position)
        if joint is None:
            raise _unsupported(source, position)
        combinator = ">" if ">" in joint.group() else " "
        position = joint.end()


def _compound(source: str, position: int) -> tuple[Compound, int]:
    tag: Optional[str] = None
    ids, classes, attrs = [], [], []
    start = position
    while match := _COMPOUND_PART.match(source, position):
        if match.group("tag") is not None:
            if position != start:  # a type selector only leads a compound ("div.a", not ".a div" glued)
                raise _unsupported(source, position)
            tag = None if match.group("tag") == "*" else match.group("tag").lower()
        elif match.group("id") is not None:
            ids.append(match.group("id"))
        elif match.group("cls") is not None:
            classes.append(match.group("cls"))
        else:
            value = next((v for v in match.group("dq", "sq", "bare") if v is not None), None)
            attrs.append((match.group("attr").lower(), value))
        position = match.end()
    if position == start:
        raise _unsupported(source, position)
    return Compound(tag, tuple(ids), tuple(classes), tuple(attrs)), position


def _unsupported(source: str, position: int) -> SelectorError:
    if position >= len(source):
        return SelectorError(f"unsupported CSS selector '{source}': it ends with a combinator")
    return SelectorError(
        f"unsupported CSS selector '{source}' at '{source[position:]}' (supported: {SUPPORTED_CSS})"
    )


# -- the page as a tree ----------------------------------------------------------------------

#: Elements that never have content, so never stay open.
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}
#: Start tags that close an open element of the same kind (<li>a<li>b), as browsers do.
SELF_CLOSING_SIBLINGS = {"li": {"li"}, "p": {"p"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"},
                         "tr": {"tr"}, "td": {"td", "th"}, "th": {"td", "th"}, "option": {"option"}}
#: Their text is code, not what a reader sees; read only when selected themselves.
RAW_TEXT_TAGS = {"script", "style", "template"}


@dataclass(eq=False)
class Element:
    tag: str
    attrs: dict[str, str]
    parent: Optional["Element"] = None
    children: list[Union["Element", str]] = field(default_factory=list)

    def text(self) -> str:
        """The text a reader sees, whitespace collapsed (script text only for a script itself)."""
        parts: list[str] = []
        if self.tag in RAW_TEXT_TAGS:
            parts = [child for child in self.children if isinstance(child, str)]
        else:
            # In document order, without recursion (pages can nest deep).
            stack: list[Union[Element, str]] = list(reversed(self.children))
            while stack:
                child = stack.pop()
                if isinstance(child, str):
                    parts.append(child)
                elif child.tag not in RAW_TEXT_TAGS:
                    stack.extend(reversed(child.children))
        return " ".join("".join(parts).split())


#: The tag of the tree's root, which no selector matches.
ROOT = "#document"
#: Deeper elements are attached at this depth (siblings, not children), as Chromium's HTML
#: parser does (it caps the DOM at 512 levels): a page nested 10,000 deep stays cheap.
MAX_DEPTH = 512


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element(ROOT, {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        closes = SELF_CLOSING_SIBLINGS.get(tag)
        if closes and self.open[-1].tag in closes:
            self.open.pop()
        parent = self.open[-1] if len(self.open) <= MAX_DEPTH else self.open[MAX_DEPTH - 1]
        element = Element(tag, {name: value or "" for name, value in attrs}, parent)
        parent.children.append(element)
        if tag not in VOID_TAGS:
            self.open.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, Optional[str]]]) -> None:
        parent = self.open[-1] if len(self.open) <= MAX_DEPTH else self.open[MAX_DEPTH - 1]
        element = Element(tag, {name: value or "" for name, value in attrs}, parent)
        parent.children.append(element)

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.open) - 1, 0, -1):
            if self.open[depth].tag == tag:
                del self.open[depth:]
                return  # a stray end tag closes nothing

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


class Document:
    """A page's HTML parsed once, for selecting from it many times."""

    def __init__(self, html: str):
        builder = _TreeBuilder()
        builder.feed(html)
        builder.close()
        self.source = html
        self.elements: list[Element] = []
        self._walk(builder.root)

    def _walk(self, root: Element) -> None:
        """Every element in document order, without recursion."""
        stack = [child for child in reversed(root.children) if isinstance(child, Element)]
        while stack:
            element = stack.pop()
            self.elements.append(element)
            stack.extend(child for child in reversed(element.children) if isinstance(child, Element))

    def select(self, css: str, attr: Optional[str] = None) -> list[str]:
        """The text (or `attr`) of every element matching `css`, in document order."""
        selector = parse_selector(css)
        found = [element for element in self.elements if _matches(element, selector, len(selector) - 1)]
        if attr is None:
            return [element.text() for element in found]
        return [element.attrs[attr.lower()] for element in found if attr.lower() in element.attrs]

    @property
    def title(self) -> str:
        return next(iter(self.select("title")), "")


def _matches(element: Element, selector: Selector, index: int) -> bool:
    combinator, compound = selector[index]
    if not compound.matches(element):
        return False
    if index == 0:
        return True
    ancestor = element.parent
    while ancestor is not None and ancestor.tag != ROOT:
        if _matches(ancestor, selector, index - 1):
            return True
        if combinator == ">":
            return False
        ancestor = ancestor.parent
    return False
