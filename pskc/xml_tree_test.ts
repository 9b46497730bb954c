import assert from "node:assert/strict";
import {
  childNamed,
  MAX_NAMESPACE_DECLARATIONS,
  MAX_XML_BYTES,
  MAX_XML_DEPTH,
  MAX_XML_ELEMENTS,
  parseXmlTree,
  XmlError,
} from "./xml_tree.ts";

Deno.test("parseXmlTree() resolves namespaces by URI whatever the prefix, and keeps text as text", () => {
  const root = parseXmlTree(
    `<?xml version="1.0"?><!-- c --><p:a xmlns:p="urn:x" xmlns="urn:d" A="0&amp;07">` +
      `<p:b>000123</p:b><c>x &lt; y &#65;&#x42;<![CDATA[ <raw>&amp; ]]></c></p:a>`,
  );
  assert.deepEqual([root.ns, root.name, root.attributes.get("A")], ["urn:x", "a", "0&07"]);
  assert.equal(childNamed(root, "urn:x", "b")?.text, "000123");
  assert.equal(childNamed(root, "urn:d", "c")?.text, "x < y AB <raw>&amp; ");
  assert.equal(childNamed(root, "urn:other", "b"), null);
});

Deno.test("parseXmlTree() refuses DOCTYPEs, entity declarations and undefined entities", () => {
  const bomb =
    `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><a>&lol2;</a>`;
  assert.throws(
    () => parseXmlTree(bomb),
    new XmlError("The document has a DOCTYPE; it is refused"),
  );
  const xxe = `<!doctype a SYSTEM "file:///etc/passwd"><a/>`;
  assert.throws(() => parseXmlTree(xxe), new XmlError("The document has a DOCTYPE; it is refused"));
  assert.throws(
    () => parseXmlTree(`<a><![CDATA[<!ENTITY x "y">]]></a>`),
    new XmlError("The document declares an entity; it is refused"),
  );
  assert.throws(
    () => parseXmlTree(`<a>&foo;</a>`),
    new XmlError('The entity "&foo;" is not defined'),
  );
  assert.throws(
    () => parseXmlTree(`<a>fish & chips</a>`),
    new XmlError("The document is not well-formed XML: char '&' is not expected. (line 1)"),
  );
  assert.throws(
    () => parseXmlTree(`<a b="x &amp y"/>`),
    new XmlError('A "&" is not part of an entity reference'),
  );
});

Deno.test("parseXmlTree() refuses input over 1 MB, malformed XML, two roots and undeclared prefixes", () => {
  const big = `<a>${"x".repeat(MAX_XML_BYTES)}</a>`;
  assert.throws(() => parseXmlTree(big), new XmlError("The document is larger than 1048576 bytes"));
  assert.throws(
    () => parseXmlTree("<a><b></a>"),
    (error: Error) =>
      error instanceof XmlError &&
      error.message.startsWith("The document is not well-formed XML: "),
  );
  assert.throws(
    () => parseXmlTree("<a/><b/>"),
    new XmlError("The document must have exactly one root element"),
  );
  assert.throws(() => parseXmlTree("plain text"), XmlError);
  assert.throws(
    () => parseXmlTree(`<q:a/>`),
    new XmlError('The namespace prefix "q" of <q:a> is not declared'),
  );
});

Deno.test("parseXmlTree() refuses elements nested deeper than MAX_XML_DEPTH with an XmlError", () => {
  const nested = (depth: number) => "<a>".repeat(depth) + "</a>".repeat(depth);
  let leaf = parseXmlTree(nested(MAX_XML_DEPTH));
  for (let depth = 1; depth < MAX_XML_DEPTH; depth++) leaf = leaf.children[0]!;
  assert.deepEqual([leaf.name, leaf.children.length], ["a", 0]);
  // Before the fix the parser's own limit (100) threw a plain Error: a 500 on the route.
  for (const depth of [MAX_XML_DEPTH + 1, 101, 100_000]) {
    assert.throws(
      () => parseXmlTree(nested(depth)),
      new XmlError("The document nests elements more than 32 deep"),
    );
  }
});

/** A root declaring `declarations` prefixes, with `children` empty children. */
function manyNamespaces(declarations: number, children: number): string {
  let attributes = "";
  for (let i = 0; i < declarations; i++) attributes += ` xmlns:p${i}="urn:n${i}"`;
  return `<KeyContainer xmlns="urn:ietf:params:xml:ns:keyprov:pskc"${attributes}>` +
    `${"<a/>".repeat(children)}</KeyContainer>`;
}

Deno.test("parseXmlTree() refuses 20,000 namespace declarations on one element (the 537 KB file that blocked for minutes)", () => {
  const file = manyNamespaces(20_000, 30_000);
  assert.ok(file.length > 500_000 && file.length < MAX_XML_BYTES);
  assert.throws(
    () => parseXmlTree(file),
    new XmlError("<KeyContainer> declares more than 64 namespaces"),
  );
  assert.throws(
    () => parseXmlTree(manyNamespaces(MAX_NAMESPACE_DECLARATIONS, 0)),
    new XmlError("<KeyContainer> declares more than 64 namespaces"),
  );
});

Deno.test("parseXmlTree() shares the parent's namespaces: 63 declarations and 30,000 children resolve, redeclarations shadow", () => {
  const root = parseXmlTree(manyNamespaces(MAX_NAMESPACE_DECLARATIONS - 1, 30_000));
  assert.equal(root.children.length, 30_000);
  assert.deepEqual(
    [root.children[0]!.ns, root.children[29_999]!.ns, root.children[29_999]!.name],
    ["urn:ietf:params:xml:ns:keyprov:pskc", "urn:ietf:params:xml:ns:keyprov:pskc", "a"],
  );
  const nested = parseXmlTree(
    `<p:a xmlns:p="urn:1" xmlns="urn:d"><p:b xmlns:p="urn:2"><p:c/><d xmlns=""/></p:b>` +
      `<p:e/></p:a>`,
  );
  const b = nested.children[0]!;
  assert.deepEqual(
    [nested.ns, b.ns, b.children[0]!.ns, b.children[1]!.ns, nested.children[1]!.ns],
    ["urn:1", "urn:2", "urn:2", null, "urn:1"],
  );
});

Deno.test("parseXmlTree() refuses more than MAX_XML_ELEMENTS elements", () => {
  const many = (n: number) => `<r>${"<a/>".repeat(n - 1)}</r>`;
  assert.equal(parseXmlTree(many(MAX_XML_ELEMENTS)).children.length, MAX_XML_ELEMENTS - 1);
  assert.throws(
    () => parseXmlTree(many(MAX_XML_ELEMENTS + 1)),
    new XmlError("The document has more than 50000 elements"),
  );
});

Deno.test("parseXmlTree() refuses &constructor; and other Object.prototype names as undefined entities", () => {
  for (const name of ["constructor", "toString", "valueOf", "__proto__"]) {
    assert.throws(
      () => parseXmlTree(`<a>&${name};</a>`),
      new XmlError(`The entity "&${name};" is not defined`),
    );
  }
});
