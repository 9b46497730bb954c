import assert from "node:assert/strict";
import { childNamed, MAX_XML_BYTES, MAX_XML_DEPTH, parseXmlTree, XmlError } from "./xml_tree.ts";

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
