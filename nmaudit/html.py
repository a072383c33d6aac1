"""A page's HTML as a browser parses it, and CSS selectors over it (selectolax's lexbor engine).

Pure: adapters read fetched bodies with it, and the registry checks `extract` selectors with it.
Parsing follows the HTML standard as browsers do (implied <html>/<head>/<body>, unclosed <li> and
<p>, stray end tags), so a selector finds here what it finds in Chromium's DOM of the same HTML;
selectors are the CSS selectors staff know from a browser (see `SUPPORTED_CSS`).
"""

from __future__ import annotations

import re
from typing import Iterator, Optional, Union

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

#: What a refused selector's message lists (the README has the whole list).
SUPPORTED_CSS = (
    "tag, .class, #id, [attr] with = ^= $= *= ~= |=, combinators (space) > + ~, lists a, b, "
    ":not() :is() :has() :nth-child() :first-child and the like"
)


class SelectorError(ValueError):
    """A css value that is not a CSS selector; the message says where it goes wrong."""


# -- checking a selector ---------------------------------------------------------------------

_PROBE = LexborHTMLParser("<p></p>")
_COMBINATORS = ">+~"
_CLOSING = {"[": "]", "(": ")"}


def _chars(source: str, begin: int = 0, end: Optional[int] = None) -> Iterator[tuple[int, str]]:
    """The characters of source[begin:end] with their positions, escaped ones ("\\]") left out."""
    position, end = begin, len(source) if end is None else end
    while position < end:
        if source[position] == "\\":
            position += 2
            continue
        yield position, source[position]
        position += 1


def _accepted(css: str) -> bool:
    try:
        _PROBE.css(css)
    except SelectolaxError:
        return False
    return True


def parse_selector(text: str) -> str:
    """`text` stripped, when lexbor reads it as a selector; SelectorError saying where otherwise."""
    source = text.strip()
    if not source:
        raise SelectorError("empty CSS selector")
    # Lexbor, like a browser, closes at the end what was left open ("a[href", "li:not(.ad"):
    # from staff that is a typo whose rule would silently match nothing, so it is refused.
    where = _unclosed(source)
    if not where and _accepted(source):
        return source
    raise SelectorError(f"invalid CSS selector '{source}'{where or _where(source)} (supported: {SUPPORTED_CSS})")


def _unclosed(source: str) -> str:
    """Where a bracket, parenthesis or quote is closed without being opened, or never closed."""
    opened: list[tuple[int, str]] = []
    for position, char in _chars(source):
        if opened and opened[-1][1] in "'\"":
            if char == opened[-1][1]:
                opened.pop()
        elif char in "[(\"'":
            opened.append((position, char))
        elif char in "])":
            if not opened or _CLOSING[opened[-1][1]] != char:
                return f" at '{source[position:]}': '{char}' closes nothing"
            opened.pop()
    if opened:
        position, char = opened[-1]
        return f" at '{source[position:]}': '{char}' is never closed"
    return ""


def _where(source: str) -> str:
    """Where lexbor's refusal comes from, for the message (lexbor says only that it refused).

    Brackets, parentheses and quotes are balanced (`_unclosed`). The selector is cut into
    compounds at top-level combinators and commas (brackets, parentheses and quotes kept
    whole); the first compound, then the first simple selector in it, that lexbor
    refuses on its own is where the error is.
    """
    parts: list[tuple[int, int]] = []  # compounds: (start, end)
    joints: list[tuple[int, str]] = []  # combinators and commas between them: (position, char)
    opened: list[tuple[int, str]] = []  # brackets, parentheses and a quote not closed yet
    start: Optional[int] = None
    for position, char in _chars(source):
        if opened and opened[-1][1] in "'\"":
            if char == opened[-1][1]:
                opened.pop()
            continue
        if char in "[(\"'":
            opened.append((position, char))
        elif char in "])":
            opened.pop()
        if opened or (char not in _COMBINATORS + "," and not char.isspace()):
            if start is None:
                start = position
            continue
        if start is not None:
            parts.append((start, position))
            start = None
        if not char.isspace():
            joints.append((position, char))
    if start is not None:
        parts.append((start, len(source)))
    if joints and (not parts or joints[-1][0] > parts[-1][0]):
        return f": it ends with {'a comma' if joints[-1][1] == ',' else 'a combinator'}"
    if joints and joints[0][0] < parts[0][0]:
        return f": it starts with {'a comma' if joints[0][1] == ',' else 'a combinator'}"
    for (_, end), (after, _) in zip(parts, parts[1:]):
        between = [char for position, char in joints if end <= position < after]
        if len(between) > 1:
            return f" at '{source[end:].lstrip()}': {' '.join(between)} in a row"
    for begin, end in parts:
        if not _accepted(source[begin:end]):
            return f" at '{source[_first_refused(source, begin, end):]}'"
    return ""


def _first_refused(source: str, begin: int, end: int) -> int:
    """Where, in the compound source[begin:end], the first simple selector lexbor refuses starts
    (each simple selector, "div", ".a", "[x=y]", ":nth-child(2)", is a selector on its own)."""
    starts, depth, quote = [begin], 0, ""
    for position, char in _chars(source, begin + 1, end):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[(":
            if char == "[" and depth == 0:
                starts.append(position)
            depth += 1
        elif char in "])":
            depth -= 1
        elif depth == 0 and char in ".#:" and source[position - 1] != ":":
            starts.append(position)
    bounds = starts + [end]
    return next((first for first, last in zip(bounds, bounds[1:]) if not _accepted(source[first:last])), begin)


# -- the page as a tree ----------------------------------------------------------------------

#: Their text is code, not what a reader sees; read only when selected themselves.
RAW_TEXT_TAGS = {"script", "style", "template"}
#: Elements a browser lays out apart from their neighbours (block and table boxes, line
#: breaks, list items, options): their texts are separated, never glued ("<p>a</p><p>b</p>"
#: reads "a b", as innerText shows it); inline elements (b, span, a...) join without a gap.
SEPARATE_TAGS = {
    "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "dialog",
    "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4",
    "h5", "h6", "head", "header", "hgroup", "hr", "html", "legend", "li", "main", "menu", "nav", "ol",
    "optgroup", "option", "p", "pre", "section", "select", "summary", "table", "tbody", "td",
    "textarea", "tfoot", "th", "thead", "title", "tr", "ul",
}
#: The tag of the tree's root (the document node), which no selector matches.
ROOT = "#document"


#: Deeper than this, elements are attached at this depth (siblings, not children), as Chromium's
#: parser does (its DOM is capped at 512 levels). Lexbor, like the HTML standard, walks the open
#: elements for many start and end tags, so a page nested tens of thousands deep would cost
#: quadratic time (measured: 20,000 nested divs 2 s, 40,000 14 s); capped, it stays linear.
MAX_DEPTH = 512
#: Elements that never have content, so never stay open.
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}
#: Elements whose content is text up to their own end tag (a "<div>" in a script is not a tag).
_RAW_TEXT_END = {tag: re.compile(rf"</{tag}[\s/>]", re.IGNORECASE) for tag in
                 ("script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "plaintext")}
#: Start tags that close an open element of the same kind (<li>a<li>b), as browsers do.
SELF_CLOSING_SIBLINGS = {"li": {"li"}, "p": {"p"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"},
                         "tr": {"tr"}, "td": {"td", "th"}, "th": {"td", "th"}, "option": {"option"}}
#: More options than this in one <select> are split into several selects: lexbor's select
#: (as the standard's selectedness does) revisits its options for each one added (measured:
#: 10,000 options 0.8 s, 20,000 5 s).
MAX_OPTIONS = 1000
_TAG = re.compile(r"<(?:(/?)([A-Za-z][^\s/>]*)|!--)")


def bounded(html: str) -> str:
    """`html` with nesting past `MAX_DEPTH` flattened and selects past `MAX_OPTIONS` split; as
    it is (the same object) when it has neither, as real pages do not.

    Lexbor builds a tree in linear time except for those two shapes, and a hostile page must not
    hold an audit for minutes. The depth is followed over the tags as a browser nests them,
    closely enough: void elements, raw text, <li>/<p>/<td>... closing their like, end tags
    closing up to their element (a stray one closes nothing), "/>" closing only in SVG and
    MathML. Past the cap, each start tag first closes the element opened there before it, and
    end tags there are dropped, so what lies deeper keeps its tags and text, one level deep.
    """
    if html.count("<") <= MAX_DEPTH:  # too few tags to nest that deep
        return html
    pieces: list[str] = []
    copied = position = 0
    stack: list[str] = []
    opened: dict[str, int] = {}  # tag -> how many are in `stack` (an end tag's match, without a walk)
    deep: Optional[str] = None  # the element open at the cap
    flattened = 0  # elements opened past the cap and not yet ended
    options = 0  # in the open <select>
    while match := _TAG.search(html, position):
        if match.group(2) is None:  # a comment
            end = html.find("-->", match.end())
            position = len(html) if end < 0 else end + 3
            continue
        end = html.find(">", match.end())
        if end < 0:
            break
        position, tag = end + 1, match.group(2).lower()
        if match.group(1):  # an end tag
            if flattened:
                pieces.append(html[copied:match.start()])
                copied = position
                flattened -= 1
                if not flattened:
                    pieces.append(f"</{deep}>")
                    deep = None
            elif opened.get(tag):
                while (popped := stack.pop()) != tag:
                    opened[popped] -= 1
                opened[tag] -= 1
            continue
        if tag in _RAW_TEXT_END:
            close = _RAW_TEXT_END[tag].search(html, position)
            position = len(html) if close is None else close.start()
            continue
        # "<div/>" opens a div as any <div> does; only in SVG and MathML does "/>" close.
        if tag in VOID_TAGS or (html[end - 1] == "/" and (opened.get("svg") or opened.get("math"))):
            continue
        if flattened or len(stack) >= MAX_DEPTH:
            if deep is not None:
                pieces.append(html[copied:match.start()] + f"</{deep}>")
                copied = match.start()
            deep = tag
            flattened += 1
            continue
        if tag == "select":
            options = 0
        elif tag == "option" and opened.get("select"):
            options += 1
            if options > MAX_OPTIONS:
                pieces.append(html[copied:match.start()] + "</select><select>")
                copied, options = match.start(), 1
        if stack and stack[-1] in SELF_CLOSING_SIBLINGS.get(tag, ()):
            opened[stack.pop()] -= 1
        stack.append(tag)
        opened[tag] = opened.get(tag, 0) + 1
    if not pieces:
        return html
    return "".join(pieces) + html[copied:]


def node_text(node: LexborNode, lines: bool = False) -> str:
    """What a reader sees of `node`, whitespace collapsed (script text only for a script itself).
    The texts of separate blocks (paragraphs, list items, cells, `<br>`) are kept apart by a
    space, or with `lines` by a line break (content screening: a term never spans two blocks)."""
    if node.tag in RAW_TEXT_TAGS:
        return " ".join(node.text(deep=False).split())
    # A NUL never reaches the tree (`bounded`), so it can mark where a block starts and ends.
    mark = "\x00" if lines else " "
    parts: list[str] = []
    # Children iterators on a stack, not recursion: pages can nest thousands deep.
    stack: list[tuple[Iterator[LexborNode], bool]] = [(node.iter(include_text=True), False)]
    while stack:
        children, separate = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if separate:
                parts.append(mark)
        elif child.is_text_node:
            parts.append(child.text_content or "")
        elif child.is_element_node and child.tag not in RAW_TEXT_TAGS:
            separate = child.tag in SEPARATE_TAGS
            if separate:
                parts.append(mark)
            stack.append((child.iter(include_text=True), separate))
    if not lines:
        return " ".join("".join(parts).split())
    return "\n".join(line for block in "".join(parts).split(mark) if (line := " ".join(block.split())))


class Element:
    """One element of a Document; the same node is always the same Element (`is` works)."""

    __slots__ = ("node", "tag", "attrs", "_document")

    def __init__(self, node: LexborNode, document: "Document", tag: Optional[str] = None):
        self.node = node
        self.tag: str = tag or node.tag or ""
        # A valueless attribute (<input disabled>) reads as "", as in the DOM.
        self.attrs: dict[str, str] = {name: value or "" for name, value in node.attributes.items()} \
            if node.is_element_node else {}
        self._document = document

    @property
    def parent(self) -> Optional["Element"]:
        """The parent element; the root (tag `ROOT`) for <html>, None for the root itself."""
        parent = self.node.parent
        return None if parent is None else self._document.wrap(parent)

    @property
    def children(self) -> list[Union["Element", str]]:
        """Child elements and texts, in order (comments left out)."""
        return [self._document.wrap(child) if child.is_element_node else (child.text_content or "")
                for child in self.node.iter(include_text=True) if child.is_element_node or child.is_text_node]

    def descendants(self) -> list["Element"]:
        """The elements within this one, in document order."""
        nodes = self.node.traverse()
        next(nodes, None)  # the element itself
        return [self._document.wrap(node) for node in nodes if node.is_element_node]

    def text(self, lines: bool = False) -> str:
        return node_text(self.node, lines)

    def __repr__(self) -> str:
        return f"<Element {self.tag} {self.attrs}>"


class Document:
    """A page's HTML parsed once, for selecting from it many times."""

    def __init__(self, html: str):
        self.source = html
        self.tree = LexborHTMLParser(bounded(html))  # lone surrogates and NULs are dropped, not raised
        self._wrapped: dict[int, Element] = {}
        self._elements: Optional[list[Element]] = None

    def wrap(self, node: LexborNode) -> Element:
        """The Element of `node` (one per node, so identity holds across calls)."""
        element = self._wrapped.get(node.mem_id)
        if element is None:
            element = Element(node, self, ROOT if node.is_document_node else None)
            self._wrapped[node.mem_id] = element
        return element

    @property
    def elements(self) -> list[Element]:
        """Every element in document order, <html> first (built on first use: select needs none)."""
        if self._elements is None:
            root = self.tree.root
            self._elements = [] if root is None else [
                self.wrap(node) for node in root.traverse() if node.is_element_node]
        return self._elements

    def nodes(self, css: str) -> list[LexborNode]:
        """The nodes matching `css` in document order, each once (lexbor repeats a node that
        matches two parts of a list)."""
        if _unclosed(css):
            parse_selector(css)  # raises, saying where
        try:
            found = self.tree.css(css)
        except SelectolaxError:
            parse_selector(css)  # raises, saying where
            raise SelectorError(f"invalid CSS selector '{css}'") from None
        seen: set[int] = set()
        unique = []
        for node in found:
            if node.mem_id not in seen:
                seen.add(node.mem_id)
                unique.append(node)
        return unique

    def select_elements(self, css: str) -> list[Element]:
        """The elements matching `css`, in document order."""
        return [self.wrap(node) for node in self.nodes(css)]

    def select(self, css: str, attr: Optional[str] = None) -> list[str]:
        """The text (or `attr`) of every element matching `css`, in document order."""
        found = self.nodes(css)
        if attr is None:
            return [node_text(node) for node in found]
        name = attr.lower()
        values = [node.attributes.get(name, False) for node in found]
        return [value or "" for value in values if value is not False]

    @property
    def title(self) -> str:
        return next(iter(self.select("title")), "")
