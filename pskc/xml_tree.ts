/**
 * A hardened XML reader for PSKC files: fast-xml-parser (a maintained, dependency-free
 * npm parser, chosen because it needs no native code and can be told to leave entities
 * alone) wrapped so that
 *
 * - input over {@linkcode MAX_XML_BYTES} is refused before parsing, and elements nested
 *   deeper than {@linkcode MAX_XML_DEPTH} while parsing (the parser's own limit would
 *   otherwise throw a plain `Error`, a 500 on the import route);
 * - a DOCTYPE or an entity declaration is refused (no entity expansion, no external
 *   entities: the usual XML bombs and XXE cannot start);
 * - only the five predefined entities and character references are decoded, anything
 *   else (`&foo;`) is an error, as XML requires without a DTD;
 * - every element carries its namespace URI, resolved from the `xmlns` declarations in
 *   scope, so callers match `{urn:ietf:params:xml:ns:keyprov:pskc}Key` whatever prefix
 *   the file chose; scopes are a chain shared with the parent (a copy per element made
 *   20,000 declarations on a root with 30,000 children block the process for minutes),
 *   and more than {@linkcode MAX_NAMESPACE_DECLARATIONS} declarations on one element or
 *   more than {@linkcode MAX_XML_ELEMENTS} elements are refused;
 * - text stays text: `000123` is not turned into the number 123.
 *
 * @module
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";

/** Largest accepted document, in bytes of UTF-8. */
export const MAX_XML_BYTES = 1024 * 1024;

/**
 * Deepest element nesting accepted. A PSKC file nests about 9 deep (KeyContainer, KeyPackage,
 * Key, Data, Secret, EncryptedValue, EncryptionMethod, DigestMethod); 32 leaves room for
 * vendor extensions and keeps the tree walk's recursion short.
 */
export const MAX_XML_DEPTH = 32;

/**
 * Most `xmlns` declarations accepted on one element. PSKC files declare about five (pskc,
 * ds, xenc, pkcs5, xenc11) on the root; a generator that adds its own stays far below 64.
 */
export const MAX_NAMESPACE_DECLARATIONS = 64;

/**
 * Most elements accepted in one document. A key package is about 12 elements and 600
 * bytes, so a 1 MB file of real packages has under 25,000; 50,000 bounds the tree built
 * from a file of empty elements.
 */
export const MAX_XML_ELEMENTS = 50_000;

/** One element, with its namespace resolved. */
export interface XmlElement {
  /** Namespace URI, or `null` for none. */
  readonly ns: string | null;
  /** Local name (without prefix). */
  readonly name: string;
  /** Unqualified attributes by name (`xmlns` declarations excluded). */
  readonly attributes: ReadonlyMap<string, string>;
  readonly children: readonly XmlElement[];
  /** The element's own text (not its children's), entities decoded. */
  readonly text: string;
}

/** The document is not one PSKC can be read from; the message says why. */
export class XmlError extends Error {
  override name = "XmlError";
}

const XML_NS = "http://www.w3.org/XML/1998/namespace";
const PREDEFINED: Readonly<Record<string, string>> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: '"',
  apos: "'",
};

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  cdataPropName: "#cdata",
  commentPropName: "#comment",
  // The parser's own bound (it counts a little differently); toElement() applies ours.
  maxNestedTags: MAX_XML_DEPTH * 2,
});

/**
 * Parses `text` into a namespaced element tree.
 *
 * @throws {XmlError} too large, nested too deep, a DOCTYPE or entity declaration, not
 *   well-formed, an unknown entity or an undeclared namespace prefix
 */
export function parseXmlTree(text: string): XmlElement {
  if (new TextEncoder().encode(text).length > MAX_XML_BYTES) {
    throw new XmlError(`The document is larger than ${MAX_XML_BYTES} bytes`);
  }
  if (/<!DOCTYPE/i.test(text)) throw new XmlError("The document has a DOCTYPE; it is refused");
  if (/<!ENTITY/i.test(text)) throw new XmlError("The document declares an entity; it is refused");
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new XmlError(
      `The document is not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`,
    );
  }
  let nodes: RawNode[];
  try {
    nodes = parser.parse(text) as RawNode[];
  } catch (error) {
    // The parser throws plain Errors; whatever it refuses is the document's fault.
    if (error instanceof Error && /nested tags/i.test(error.message)) {
      throw tooDeep();
    }
    throw new XmlError("The document is not well-formed XML");
  }
  const roots = nodes.filter((node) => elementName(node) !== null);
  if (roots.length !== 1) throw new XmlError("The document must have exactly one root element");
  const root: Scope = { bindings: new Map([["xml", XML_NS]]), parent: null };
  return toElement(roots[0]!, root, 1, { elements: 0 });
}

/**
 * The namespace declarations in force: an element that declares nothing shares its
 * parent's scope, one that does adds a link holding only its own declarations, so the
 * work per element is its own attributes plus a lookup at most {@linkcode MAX_XML_DEPTH}
 * links long.
 */
interface Scope {
  readonly bindings: ReadonlyMap<string | null, string>;
  readonly parent: Scope | null;
}

function lookup(scope: Scope | null, prefix: string | null): string | undefined {
  for (let link = scope; link !== null; link = link.parent) {
    const ns = link.bindings.get(prefix);
    if (ns !== undefined) return ns;
  }
  return undefined;
}

function tooDeep(): XmlError {
  return new XmlError(`The document nests elements more than ${MAX_XML_DEPTH} deep`);
}

type RawNode = Record<string, unknown> & { ":@"?: Record<string, string> };

function elementName(node: RawNode): string | null {
  for (const key of Object.keys(node)) {
    if (key !== ":@" && key !== "#text" && key !== "#cdata" && key !== "#comment") return key;
  }
  return null;
}

function toElement(
  node: RawNode,
  inherited: Scope,
  depth: number,
  count: { elements: number },
): XmlElement {
  if (depth > MAX_XML_DEPTH) throw tooDeep();
  if (++count.elements > MAX_XML_ELEMENTS) {
    throw new XmlError(`The document has more than ${MAX_XML_ELEMENTS} elements`);
  }
  const qualified = elementName(node)!;
  const rawAttributes = node[":@"] ?? {};
  const declared = new Map<string | null, string>();
  const attributes = new Map<string, string>();
  for (const [name, value] of Object.entries(rawAttributes)) {
    const isDeclaration = name === "xmlns" || name.startsWith("xmlns:");
    if (isDeclaration && declared.size >= MAX_NAMESPACE_DECLARATIONS) {
      throw new XmlError(
        `<${qualified}> declares more than ${MAX_NAMESPACE_DECLARATIONS} namespaces`,
      );
    }
    const decoded = decodeEntities(value);
    if (name === "xmlns") declared.set(null, decoded);
    else if (isDeclaration) declared.set(name.slice(6), decoded);
    else if (!name.includes(":")) attributes.set(name, decoded);
    // Prefixed attributes (xml:lang, xsi:type) carry nothing PSKC needs.
  }
  const scope: Scope = declared.size === 0 ? inherited : { bindings: declared, parent: inherited };
  const colon = qualified.indexOf(":");
  const prefix = colon < 0 ? null : qualified.slice(0, colon);
  const name = colon < 0 ? qualified : qualified.slice(colon + 1);
  const ns = lookup(scope, prefix);
  if (prefix !== null && ns === undefined) {
    throw new XmlError(`The namespace prefix "${prefix}" of <${qualified}> is not declared`);
  }
  const children: XmlElement[] = [];
  let text = "";
  for (const child of (node[qualified] as RawNode[] | undefined) ?? []) {
    if (typeof child["#text"] === "string") text += decodeEntities(child["#text"]);
    else if (Array.isArray(child["#cdata"])) {
      for (const part of child["#cdata"] as RawNode[]) text += String(part["#text"] ?? "");
    } else if (elementName(child) !== null) {
      children.push(toElement(child, scope, depth + 1, count));
    }
  }
  return { ns: ns === undefined || ns === "" ? null : ns, name, attributes, children, text };
}

/** Decodes the predefined entities and character references; anything else is refused. */
function decodeEntities(value: string): string {
  return value.replace(/&([^;&\s]*);?/g, (match, body: string) => {
    if (!match.endsWith(";")) throw new XmlError('A "&" is not part of an entity reference');
    // Own properties only: `&constructor;` is not an entity.
    if (Object.hasOwn(PREDEFINED, body)) return PREDEFINED[body]!;
    const code = /^#x([0-9a-fA-F]{1,6})$/.exec(body)?.[1] ?? /^#([0-9]{1,7})$/.exec(body)?.[1];
    if (code !== undefined) {
      const point = body.startsWith("#x") ? parseInt(code, 16) : parseInt(code, 10);
      if (point > 0 && point <= 0x10ffff) return String.fromCodePoint(point);
    }
    throw new XmlError(`The entity "&${body};" is not defined`);
  });
}

/** The children of `element` named `name` in namespace `ns` (or in any of `ns`). */
export function childrenNamed(
  element: XmlElement,
  ns: string | null | readonly (string | null)[],
  name: string,
): XmlElement[] {
  const spaces = Array.isArray(ns) ? ns : [ns];
  return element.children.filter((c) => c.name === name && spaces.includes(c.ns));
}

/** The only child named `name` in `ns`, `null` when absent; more than one is an error. */
export function childNamed(
  element: XmlElement,
  ns: string | null | readonly (string | null)[],
  name: string,
): XmlElement | null {
  const found = childrenNamed(element, ns, name);
  if (found.length > 1) throw new XmlError(`<${element.name}> has more than one <${name}>`);
  return found[0] ?? null;
}
